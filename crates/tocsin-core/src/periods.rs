//! Count series by period for outbreak detection: ISO weeks (Monday start) or calendar months in
//! Vietnam time, numbered consecutively so that a series is a plain vector with gaps as missing.

use crate::outbreak::{Detection, Range, Series};
use jiff::Timestamp;

/// Vietnam's offset from UTC, in hours: periods are Vietnamese weeks and months.
const OFFSET_HOURS: i8 = 7;

/// The consecutive number of the period holding `time` (weeks since the ISO week of
/// 1970-01-05, or months since January 1970).
pub fn period_of(time: Timestamp, frequency: usize) -> i64 {
    let local_s = time.as_second() + i64::from(OFFSET_HOURS) * 3600;
    if frequency == 12 {
        let date = jiff::tz::Offset::constant(OFFSET_HOURS)
            .to_datetime(time)
            .date();
        (i64::from(date.year()) - 1970) * 12 + i64::from(date.month()) - 1
    } else {
        // 1970-01-01 was a Thursday: day 4 is Monday 1970-01-05.
        (local_s.div_euclid(86_400) - 4).div_euclid(7)
    }
}

/// One station's counts of one metric, by period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodSeries {
    first: Option<i64>,
    counts: Vec<Option<f64>>,
}

impl PeriodSeries {
    /// Sets the count of `period` (a later report for the same period replaces it).
    pub fn set(&mut self, period: i64, count: f64) {
        let first = *self.first.get_or_insert(period);
        if period < first {
            let mut counts = vec![None; (first - period) as usize];
            counts.append(&mut self.counts);
            self.counts = counts;
            self.first = Some(period);
        }
        let index = (period - self.first.unwrap_or(period)) as usize;
        if index >= self.counts.len() {
            self.counts.resize(index + 1, None);
        }
        self.counts[index] = Some(count);
    }

    /// Judges `period` with `method`; `None` when the series cannot be judged there yet (too
    /// little history), with the reason.
    pub fn judge(
        &self,
        period: i64,
        frequency: usize,
        method: &crate::outbreak::Method,
    ) -> Result<Detection, String> {
        let first = self.first.ok_or("no counts yet")?;
        let t = usize::try_from(period - first + 1)
            .map_err(|_| "period before the series".to_string())?;
        let series = Series {
            observed: self.counts[..t.min(self.counts.len())].to_vec(),
            frequency,
        };
        let detections = method
            .detect(&series, Range { first: t, last: t })
            .map_err(|e| e.to_string())?;
        detections
            .into_iter()
            .next()
            .ok_or_else(|| "no verdict".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn periods_follow_vietnamese_weeks_and_months() {
        assert_eq!(period_of(at("1970-01-01T00:00:00+07:00"), 12), 0);
        assert_eq!(period_of(at("2017-12-31T23:59:00+07:00"), 12), 575);
        assert_eq!(
            period_of(at("2017-12-31T17:00:00Z"), 12),
            576,
            "already January 2018 in Vietnam"
        );
        let monday = period_of(at("2024-09-09T00:00:00+07:00"), 52);
        assert_eq!(
            period_of(at("2024-09-15T23:59:00+07:00"), 52),
            monday,
            "same ISO week until Sunday night"
        );
        assert_eq!(period_of(at("2024-09-16T00:00:00+07:00"), 52), monday + 1);
        assert_eq!(period_of(at("1970-01-05T00:00:00+07:00"), 52), 0);
    }

    #[test]
    fn counts_fill_by_period_with_gaps_missing() {
        let mut series = PeriodSeries::default();
        series.set(10, 3.0);
        series.set(12, 5.0);
        series.set(8, 1.0);
        series.set(12, 6.0);
        assert_eq!(series.counts, [Some(1.0), None, Some(3.0), None, Some(6.0)]);
    }
}
