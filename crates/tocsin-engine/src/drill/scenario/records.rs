//! Reading the monthly case counts a scenario replays from the shared disease records.

use super::{MONTHS, MonthlyCountsDef, Sample};

impl MonthlyCountsDef {
    /// The counts within `[from_ms, to_ms]` from the file under `data_root`, in time order.
    pub fn read(
        &self,
        data_root: &std::path::Path,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>, String> {
        let path = data_root.join(&self.file);
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut samples = Vec::new();
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| format!("{}: line {}: {e}", path.display(), line + 2))?;
            if row.get(0) != Some(self.disease.as_str())
                || row.get(1) != Some(self.province.as_str())
            {
                continue;
            }
            let bad = |field: &str| format!("{}: line {}: {field}", path.display(), line + 2);
            let year: i16 = row
                .get(2)
                .and_then(|y| y.parse().ok())
                .ok_or_else(|| bad("year"))?;
            let month = row
                .get(3)
                .and_then(|m| MONTHS.iter().position(|n| *n == m))
                .ok_or_else(|| bad("month"))?;
            let day = jiff::civil::date(year, month as i8 + 1, 1)
                .last_of_month()
                .at(7, 0, 0, 0);
            let time = day
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
                .map_err(|e| format!("{}: {e}", path.display()))?
                .timestamp()
                .as_millisecond();
            let count = row.get(4).unwrap_or_default();
            if !(from_ms..=to_ms).contains(&time) || count.is_empty() {
                // Outside the drill, or a month without a report (missing, not zero).
                continue;
            }
            let count: f64 = count.parse().map_err(|_| bad("incidence"))?;
            samples.push((self.station.clone(), self.metric.clone(), time, count));
        }
        samples.sort_by_key(|s| s.2);
        Ok(samples)
    }
}
