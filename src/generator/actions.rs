//! Generated action plans (行动方案): a countermeasure for every eighth dealer, against a KPI
//! or target gap, in the states a few months of meetings leave behind: carried out and
//! verified, done and awaiting verification, in progress, still open (some overdue),
//! dropped; with follow-ups from the meetings.

use crate::domain::actions::ActionStatus;
use crate::domain::period::Month;

use super::rng::{stream, Stream};
use super::{Network, Spec};
use rand::Rng;

/// An action item as the loader creates it, then moves and follows up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAction {
    pub dealer_code: String,
    /// A KPI code or a target item.
    pub subject: &'static str,
    pub problem: &'static str,
    pub cause: &'static str,
    pub countermeasure: &'static str,
    pub owner: &'static str,
    pub department: &'static str,
    /// The baseline month (the item was raised at the meeting after it).
    pub baseline: Month,
    pub due: Month,
    /// The statuses it went through after `Open`, in order.
    pub path: Vec<ActionStatus>,
    /// Meeting notes, oldest first.
    pub followups: Vec<&'static str>,
}

/// (subject, 现状 problem, 主要缺失因素 cause, 改进措施 countermeasure, 责任部门 department).
const TEMPLATES: [(&str, &str, &str, &str, &str); 6] = [
    (
        "comeback_rate",
        "返修率高于区域指导值 / Comebacks above the regional guideline",
        "终检流程执行不到位 / Final inspection skipped at peak hours",
        "每台车交车前由质检员终检并签字 / Quality inspector signs off every car before delivery",
        "售后服务部 / After-sales",
    ),
    (
        "appointment_rate",
        "预约率偏低 / Few repair orders come by appointment",
        "未主动邀约保养到期客户 / Customers due for maintenance are not called",
        "每周导出保养到期名单并电话邀约 / Weekly list of customers due, called by the CRM team",
        "客户关系部 / Customer relations",
    ),
    (
        "parts_fill_rate",
        "零件一次满足率低 / Parts often not in stock at the first ask",
        "安全库存未按季节调整 / Safety stock not adjusted to the season",
        "按近三个月出库调整安全库存 / Safety stock reset from the last three months' issues",
        "配件部 / Parts",
    ),
    (
        "technician_productivity",
        "技师生产率低于指导值 / Technician productivity below the guideline",
        "派工不均，等待零件时间长 / Uneven dispatch, waiting for parts",
        "调度看板与零件预拣 / Dispatch board and parts pre-picking",
        "车间 / Workshop",
    ),
    (
        "brand_ros",
        "品牌车维修台次落后于目标 / Brand ROs behind the phased target",
        "首保后客户流失 / Customers lost after the first service",
        "首保后三个月回访并发放保养券 / Call-back three months after the first service, with a voucher",
        "客户关系部 / Customer relations",
    ),
    (
        "workshop_parts",
        "零件内销落后于目标 / Workshop parts sales behind the phased target",
        "附加项目推荐率低 / Advisors rarely propose additional work",
        "接车环检与附加项目话术培训 / Walk-around check and training on proposing additional work",
        "售后服务部 / After-sales",
    ),
];

const OWNERS: [&str; 6] = ["王强", "李娜", "张伟", "刘洋", "陈静", "杨磊"];

/// The action plans of a network whose last month is `spec.end`: every eighth active
/// dealer has one, due from three months before `end` to two after.
pub fn action_plans(spec: &Spec, network: &Network) -> Vec<PlannedAction> {
    use ActionStatus::*;
    let mut out = Vec::new();
    for (i, nd) in network.dealers.iter().enumerate() {
        let d = &nd.dealer;
        if i % 8 != 3 || !d.is_active(spec.end) || d.opened > spec.end.plus(-6) {
            continue;
        }
        let mut r = stream(spec.seed, Stream::Action, i, spec.end.index());
        let (subject, problem, cause, countermeasure, department) =
            TEMPLATES[r.gen_range(0..TEMPLATES.len())];
        let offset = r.gen_range(-3..=2);
        let due = spec.end.plus(offset);
        let (path, followups): (Vec<ActionStatus>, Vec<&str>) = match (offset, i / 8 % 5) {
            (..=-1, 0) => (
                vec![InProgress, Done, Verified],
                vec!["已实施 / Carried out", "区域经理已核查 / Checked on site"],
            ),
            (..=-1, 1) => (
                vec![InProgress, Done],
                vec!["已实施，待核查 / Carried out, to be checked"],
            ),
            (..=-1, 2) => (vec![InProgress], vec!["进度滞后 / Behind schedule"]),
            (..=-1, 3) => (vec![], vec![]),
            (_, 4) => (
                vec![Dropped],
                vec!["与另一项措施合并 / Merged into another item"],
            ),
            (_, 0 | 2) => (vec![InProgress], vec!["已启动 / Started"]),
            _ => (vec![], vec![]),
        };
        out.push(PlannedAction {
            dealer_code: d.code.clone(),
            subject,
            problem,
            cause,
            countermeasure,
            owner: OWNERS[i % OWNERS.len()],
            department,
            baseline: due.plus(-4),
            due,
            path,
            followups,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::network;
    use super::super::tests::spec;
    use super::*;

    #[test]
    fn every_eighth_dealer_has_a_plan_in_one_of_several_states() {
        let s = spec(240, 24, "2025-05", 3);
        let n = network(&s);
        let plans = action_plans(&s, &n);
        assert!((24..=30).contains(&plans.len()), "{}", plans.len());
        assert_eq!(plans, action_plans(&s, &n), "deterministic");
        for p in &plans {
            assert!(p.baseline < p.due && p.baseline < s.end);
            assert!(p.due >= s.end.plus(-3) && p.due <= s.end.plus(2));
            assert!(!p.problem.is_empty() && !p.countermeasure.is_empty());
        }
        let finals: std::collections::BTreeSet<_> = plans
            .iter()
            .map(|p| p.path.last().copied().unwrap_or(ActionStatus::Open).code())
            .collect();
        assert!(finals.len() >= 4, "{finals:?}");
    }
}
