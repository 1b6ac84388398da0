//! Civil dates of UTC day numbers, without a calendar library: budgets and messages need many.

/// The weekday of a day number since 1970-01-01, Sunday = 0 (cron's numbering); that day was a Thursday.
pub fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// (year, month 1-12, day 1-31) of a day number since 1970-01-01 (H. Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_and_weekdays() {
        let day = 20_780; // 2026-11-23, a Monday.
        assert_eq!(civil_from_days(day), (2026, 11, 23));
        assert_eq!(weekday(day), 1);
        assert_eq!(weekday(0), 4);
        assert_eq!(weekday(-1), 3);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_819), (2027, 1, 1));
    }
}
