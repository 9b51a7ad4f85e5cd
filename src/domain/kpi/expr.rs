//! The expression language of KPI numerators and denominators: fields, totals, earlier
//! months, OEM parameters, constants, sums, differences, products and windows, evaluated
//! exactly in storage units.

use super::fact::Unavailable;
use super::params::Param;
use crate::domain::fields::Field;
use crate::domain::report::{Total, Values};
use crate::domain::targets::TargetItem;

/// An expression over a dealer's reports, evaluated in storage units.
#[derive(Debug)]
pub enum Expr {
    /// A raw field of month N − lag.
    F(Field, u8),
    /// A computed total of month N − lag.
    T(Total, u8),
    /// Σ of a field over months N − from ..= N − to (every month must be reported).
    Window(Field, u8, u8),
    /// A constant.
    K(i64),
    /// An OEM parameter for the month's year (and the dealer's region, when set).
    P(Param),
    /// The dealer's approved target of an item for month N, as phased.
    Target(TargetItem),
    Add(&'static [Expr]),
    Sub(&'static Expr, &'static Expr),
    Mul(&'static [Expr]),
}

/// What an expression can read: the dealer's months and the OEM parameters.
pub trait Inputs {
    /// The dealer's submitted values of month N − lag; `None` if it did not report.
    fn month(&self, lag: u8) -> Option<&Values>;
    /// The parameter in force for month N, in stored units.
    fn param(&self, p: Param) -> Option<i64>;
    /// The dealer's approved target of `item` for month N (phased), in storage units.
    fn target(&self, item: TargetItem) -> Option<i64>;
}

impl Expr {
    /// Evaluates exactly, in storage units.
    pub fn eval(&self, inp: &dyn Inputs) -> Result<i64, Unavailable> {
        let month = |lag: u8| inp.month(lag).ok_or(Unavailable::MissingReport);
        match self {
            Expr::F(f, lag) => month(*lag)?.get(*f).ok_or(Unavailable::MissingInput),
            Expr::T(t, lag) => month(*lag)?
                .checked_total(*t)
                .map_err(|_| Unavailable::Overflow)?
                .ok_or(Unavailable::MissingInput),
            Expr::Window(f, from, to) => {
                let mut sum = 0i64;
                for lag in *from..=*to {
                    let v = month(lag)?.get(*f).ok_or(Unavailable::MissingInput)?;
                    sum = sum.checked_add(v).ok_or(Unavailable::Overflow)?;
                }
                Ok(sum)
            }
            Expr::K(k) => Ok(*k),
            Expr::P(p) => inp.param(*p).ok_or(Unavailable::MissingParameter),
            Expr::Target(i) => inp.target(*i).ok_or(Unavailable::NoTarget),
            Expr::Add(xs) => xs.iter().try_fold(0i64, |acc, x| {
                acc.checked_add(x.eval(inp)?).ok_or(Unavailable::Overflow)
            }),
            Expr::Sub(a, b) => a
                .eval(inp)?
                .checked_sub(b.eval(inp)?)
                .ok_or(Unavailable::Overflow),
            Expr::Mul(xs) => xs.iter().try_fold(1i64, |acc, x| {
                acc.checked_mul(x.eval(inp)?).ok_or(Unavailable::Overflow)
            }),
        }
    }

    /// The deepest month offset the expression reads.
    pub fn max_lag(&self) -> u8 {
        match self {
            Expr::F(_, lag) | Expr::T(_, lag) => *lag,
            Expr::Window(_, a, b) => *a.max(b),
            Expr::K(_) | Expr::P(_) | Expr::Target(_) => 0,
            Expr::Add(xs) | Expr::Mul(xs) => xs.iter().map(Expr::max_lag).max().unwrap_or(0),
            Expr::Sub(a, b) => a.max_lag().max(b.max_lag()),
        }
    }

    /// The formula in words, e.g. `ro_delivered - ro_comebacks`.
    pub fn describe(&self) -> String {
        let lagged = |name: &str, lag: u8| {
            if lag == 0 {
                name.to_string()
            } else {
                format!("{name}[N-{lag}]")
            }
        };
        match self {
            Expr::F(f, lag) => lagged(f.name(), *lag),
            Expr::T(t, lag) => lagged(t.def().name, *lag),
            Expr::Window(f, a, b) => format!("Σ {}[N-{b}..N-{a}]", f.name()),
            Expr::K(k) => k.to_string(),
            Expr::P(p) => format!("{}(‰)", p.code()),
            Expr::Target(i) => format!("target({})", i.code()),
            Expr::Add(xs) => format!(
                "({})",
                xs.iter()
                    .map(Expr::describe)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            Expr::Sub(a, b) => format!("({} - {})", a.describe(), b.describe()),
            Expr::Mul(xs) => xs
                .iter()
                .map(Expr::describe)
                .collect::<Vec<_>>()
                .join(" × "),
        }
    }
}
