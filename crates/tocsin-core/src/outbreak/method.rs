//! A detection method with its control parameters, built from the method's name and
//! parameters named as in R's control lists (`b`, `noPeriods`, `minSigma`, …) with R's
//! defaults for those not given. A parameter the method does not have is an error, never
//! silently ignored.

use super::{
    Detection, OutbreakError, PowerTransform, Range, Series, cusum, ears, farrington, flexible,
    glrnb,
};

/// The method names, as the command line spells them.
pub const METHODS: [&str; 7] = [
    "ears-c1",
    "ears-c2",
    "ears-c3",
    "farrington-flexible",
    "farrington",
    "cusum",
    "glrnb",
];

/// A method and its control parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Ears(ears::Control),
    Cusum(cusum::Control),
    Farrington(farrington::Control),
    Flexible(flexible::Control),
    Glrnb(Box<glrnb::Control>),
}

impl Method {
    /// The method `name` (one of [`METHODS`]) with the parameters `(R name, value)`.
    pub fn new(name: &str, params: &[(&str, &str)]) -> Result<Method, OutbreakError> {
        let mut method = match name {
            "ears-c1" => Method::Ears(ears::Control::new(ears::Method::C1)),
            "ears-c2" => Method::Ears(ears::Control::new(ears::Method::C2)),
            "ears-c3" => Method::Ears(ears::Control::new(ears::Method::C3)),
            "farrington-flexible" => Method::Flexible(flexible::Control::default()),
            "farrington" => Method::Farrington(farrington::Control::default()),
            "cusum" => Method::Cusum(cusum::Control::default()),
            "glrnb" => Method::Glrnb(Box::default()),
            _ => {
                return Err(OutbreakError::BadParameter {
                    name: "method",
                    value: name.to_string(),
                    expected: "ears-c1, ears-c2, ears-c3, farrington-flexible, farrington, cusum or glrnb",
                });
            }
        };
        for (key, value) in params {
            method.set(key, value)?;
        }
        Ok(method)
    }

    /// Runs the method.
    pub fn detect(&self, series: &Series, range: Range) -> Result<Vec<Detection>, OutbreakError> {
        match self {
            Method::Ears(c) => ears::detect(series, range, c),
            Method::Cusum(c) => cusum::detect(series, range, c),
            Method::Farrington(c) => farrington::detect(series, range, c),
            Method::Flexible(c) => flexible::detect(series, range, c),
            Method::Glrnb(c) => glrnb::detect(series, range, c),
        }
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), OutbreakError> {
        let known = match self {
            Method::Ears(c) => set_ears(c, key, value)?,
            Method::Cusum(c) => set_cusum(c, key, value)?,
            Method::Farrington(c) => set_farrington(c, key, value)?,
            Method::Flexible(c) => set_flexible(c, key, value)?,
            Method::Glrnb(c) => set_glrnb(c, key, value)?,
        };
        if known {
            return Ok(());
        }
        Err(OutbreakError::UnknownParameter(key.to_string()))
    }
}

fn set_ears(c: &mut ears::Control, key: &str, value: &str) -> Result<bool, OutbreakError> {
    match key {
        "baseline" => c.baseline = parse(key, value)?,
        "alpha" => c.alpha = parse(key, value)?,
        "minSigma" => c.min_sigma = parse(key, value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn set_cusum(c: &mut cusum::Control, key: &str, value: &str) -> Result<bool, OutbreakError> {
    match key {
        "k" => c.k = parse(key, value)?,
        "h" => c.h = parse(key, value)?,
        "m" if value == "NULL" => c.m = None,
        "m" => c.m = Some(parse(key, value)?),
        "trans" => {
            c.trans = cusum::Transform::parse(value).ok_or_else(|| bad(key, value))?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn set_farrington(
    c: &mut farrington::Control,
    key: &str,
    value: &str,
) -> Result<bool, OutbreakError> {
    match key {
        "b" => c.b = parse(key, value)?,
        "w" => c.w = parse(key, value)?,
        "reweight" => c.reweight = parse_bool(key, value)?,
        "trend" => c.trend = parse_bool(key, value)?,
        "alpha" => c.alpha = parse(key, value)?,
        "powertrans" => c.powertrans = parse_power(key, value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn set_flexible(c: &mut flexible::Control, key: &str, value: &str) -> Result<bool, OutbreakError> {
    match key {
        "b" => c.b = parse(key, value)?,
        "w" => c.w = parse(key, value)?,
        "reweight" => c.reweight = parse_bool(key, value)?,
        "weightsThreshold" => c.weights_threshold = parse(key, value)?,
        "alpha" => c.alpha = parse(key, value)?,
        "trend" => c.trend = parse_bool(key, value)?,
        "pThresholdTrend" => c.p_threshold_trend = parse(key, value)?,
        "powertrans" => c.powertrans = parse_power(key, value)?,
        "noPeriods" => c.no_periods = parse(key, value)?,
        "pastWeeksNotIncluded" if value == "NULL" => c.past_weeks_not_included = None,
        "pastWeeksNotIncluded" => c.past_weeks_not_included = Some(parse(key, value)?),
        _ => return Ok(false),
    }
    Ok(true)
}

fn set_glrnb(c: &mut glrnb::Control, key: &str, value: &str) -> Result<bool, OutbreakError> {
    match key {
        "c.ARL" => c.c_arl = parse(key, value)?,
        "mu0" if value == "NULL" => c.mu0 = None,
        "mu0" => {
            let values = value.split(',').map(|v| parse::<f64>(key, v));
            c.mu0 = Some(values.collect::<Result<_, _>>()?);
        }
        "mu0.S" => (c.s, c.model_given) = (parse(key, value)?, true),
        "mu0.trend" => (c.trend, c.model_given) = (parse_bool(key, value)?, true),
        "mu0.refit" => (c.refit, c.model_given) = (parse_bool(key, value)?, true),
        "alpha" if value == "NULL" => c.alpha = None,
        "alpha" => c.alpha = Some(parse(key, value)?),
        "Mtilde" => c.mtilde = parse(key, value)?,
        "M" => c.m = parse(key, value)?,
        "theta" if value == "NULL" => c.theta = None,
        "theta" => c.theta = Some(parse(key, value)?),
        "dir" => {
            c.dir = match value.trim() {
                "inc" => glrnb::Direction::Increase,
                "dec" => glrnb::Direction::Decrease,
                _ => return Err(bad(key, value)),
            }
        }
        "ret" => {
            c.ret = match value.trim() {
                "value" => glrnb::Return::Value,
                "cases" => glrnb::Return::Cases,
                _ => return Err(bad(key, value)),
            }
        }
        "change" if value.trim() == "intercept" => {}
        "change" => {
            return Err(OutbreakError::BadParameter {
                name: "change",
                value: value.to_string(),
                expected: "intercept (the epidemic chart is not implemented)",
            });
        }
        "xMax" => c.x_max = parse(key, value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn bad(key: &str, value: &str) -> OutbreakError {
    OutbreakError::BadValue {
        name: key.to_string(),
        value: value.to_string(),
    }
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, OutbreakError> {
    value.trim().parse().map_err(|_| bad(key, value))
}

/// TRUE/FALSE as R writes them, or true/false.
fn parse_bool(key: &str, value: &str) -> Result<bool, OutbreakError> {
    match value.trim() {
        "TRUE" | "true" => Ok(true),
        "FALSE" | "false" => Ok(false),
        _ => Err(bad(key, value)),
    }
}

fn parse_power(key: &str, value: &str) -> Result<PowerTransform, OutbreakError> {
    PowerTransform::parse(value.trim()).ok_or_else(|| bad(key, value))
}
