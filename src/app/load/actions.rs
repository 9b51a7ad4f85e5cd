//! The action plans a generated load carries, created, moved and followed up through the
//! service's own rules (as the OEM), so that they are exactly what users would have made.

use super::super::actions::{ActionInput, ActionPatch};
use super::App;
use crate::auth::{Principal, Role};
use crate::domain::MonthRange;
use crate::generator::{self, Network, Spec};
use crate::store::ActionFilter;

impl App {
    /// Creates the network's generated action plans unless it has action items already, or
    /// its last month is not over yet (a baseline is a past month). Returns how many.
    pub(super) async fn load_action_plans(
        &self,
        spec: &Spec,
        network: &Network,
    ) -> anyhow::Result<u64> {
        let any = ActionFilter {
            dealers: None,
            statuses: Vec::new(),
            due_from: None,
            due_to: None,
            limit: 1,
            ..Default::default()
        };
        if spec.end >= self.current_month() || !self.store.actions(&any).await?.is_empty() {
            return Ok(0);
        }
        let oem = Principal {
            sub: generator::AUTHOR.to_string(),
            role: Role::OemAdmin,
            regions: Vec::new(),
            dealer: None,
        };
        let mut created = 0;
        for plan in generator::actions::action_plans(spec, network) {
            let input = ActionInput {
                dealer_code: plan.dealer_code.clone(),
                subject: plan.subject.to_string(),
                problem: plan.problem.to_string(),
                cause: plan.cause.to_string(),
                countermeasure: plan.countermeasure.to_string(),
                owner: plan.owner.to_string(),
                department: plan.department.to_string(),
                due_month: plan.due,
                baseline: MonthRange::new(plan.baseline, plan.baseline),
                expected: None,
            };
            let mut item = self.create_action(&oem, input).await?;
            for status in &plan.path {
                let patch = ActionPatch {
                    status: Some(*status),
                    ..Default::default()
                };
                let reason = Some("demo: as the meetings went");
                item = self
                    .update_action(&oem, item.id, item.revision, patch, reason)
                    .await?;
            }
            for note in &plan.followups {
                self.add_followup(&oem, item.id, note).await?;
            }
            created += 1;
        }
        Ok(created)
    }
}
