//! OEM parameters (annual visits per vehicle, 年度平均来店次数): set per year, nationally
//! or per region.

use serde::Serialize;

/// OEM parameters: data set by OEM administrators, per year and optionally per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Param {
    /// 年度平均来店次数: visits a vehicle makes to a dealer per year, in thousandths
    /// (2.5 visits is stored as 2500).
    AnnualVisitsPerVehicle,
}

impl Param {
    pub const ALL: [Param; 1] = [Param::AnnualVisitsPerVehicle];

    pub fn code(self) -> &'static str {
        match self {
            Param::AnnualVisitsPerVehicle => "annual_visits_per_vehicle",
        }
    }

    pub fn parse(s: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.code() == s)
    }

    /// Stored units per displayed unit.
    pub fn unit(self) -> i64 {
        1000
    }
}

/// An OEM parameter value in force: for a year, nationally (`region` empty) or for a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub param: Param,
    pub year: i32,
    /// Empty for the whole network.
    pub region_code: String,
    /// In the parameter's stored unit (thousandths).
    pub value: i64,
}

/// The value of `param` for a month's year and a region: the region's own, else the national.
pub fn param_for(
    params: &[ParamValue],
    param: Param,
    year: i32,
    region: Option<&str>,
) -> Option<i64> {
    let hit = |r: &str| {
        params
            .iter()
            .find(|p| p.param == param && p.year == year && p.region_code == r)
            .map(|p| p.value)
    };
    region.and_then(hit).or_else(|| hit(""))
}
