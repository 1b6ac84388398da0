//! IANA time zones from 2000 on: the offsets and abbreviations the policy needs for the year ahead of any
//! instant, an eighth of the size of chrono-tz's whole history (engine/build.rs makes the tables from
//! chrono-tz at build time). Before 2000 a zone reads as it did on 2000-01-01; after its last change
//! (chrono-tz's data ends in 2099) as after that change, as chrono-tz does.
//!
//! `Zone` implements chrono's `TimeZone`, so `DateTime<Zone>` formats, converts and resolves local times
//! (gaps and repeated hours) as with chrono-tz.

use std::fmt;

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};

mod data {
    include!(concat!(env!("OUT_DIR"), "/zones.rs"));
}

/// A time zone by IANA name (`Asia/Seoul`); aliases (`ROK`) are zones of their own that share the data.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(u16);

/// The offset of a zone at some instant: what `DateTime<Zone>` carries, displayed as its abbreviation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    kind: u16,
}

impl Zone {
    /// `UTC` itself (not one of its aliases such as `Etc/UTC`).
    pub const UTC: Zone = Zone(data::UTC_INDEX);

    /// The zone of an exact IANA name, as the tz database spells it.
    pub fn named(name: &str) -> Option<Zone> {
        let i = data::NAMES.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
        u16::try_from(i).ok().map(Zone)
    }

    pub fn name(self) -> &'static str {
        data::NAMES[usize::from(self.0)].0
    }

    /// Every zone name, sorted.
    pub fn names() -> impl Iterator<Item = &'static str> {
        data::NAMES.iter().map(|(n, _)| *n)
    }

    /// How far apart the zone's UTC offsets in force since 2020 lie, in minutes (an hour for most zones
    /// with daylight saving time, 0 for one without): a local time's UTC readings differ by up to this
    /// much within a year.
    pub fn offset_spread(self) -> i64 {
        // 2020-01-01T00:00Z in minutes.
        const SINCE: i32 = 26_297_280;
        let (first, changes) = self.table();
        let recent = changes.partition_point(|&(at, _)| at <= SINCE);
        let in_force = recent.checked_sub(1).map_or(first, |i| changes[i].1);
        let offsets = std::iter::once(in_force)
            .chain(changes[recent..].iter().map(|&(_, kind)| kind))
            .map(kind_offset_seconds);
        let (low, high) = offsets.fold((i32::MAX, i32::MIN), |(l, h), o| (l.min(o), h.max(o)));
        i64::from(high - low) / 60
    }

    /// (kind before the first change, the changes as (UTC minute, kind)).
    fn table(self) -> (u16, &'static [(i32, u16)]) {
        let table = data::NAMES[usize::from(self.0)].1;
        let (first, start, end) = data::TABLES[usize::from(table)];
        (first, &data::TRANSITIONS[start as usize..end as usize])
    }

    fn offset_of(self, kind: u16) -> ZoneOffset {
        ZoneOffset { zone: self, kind }
    }

    /// The kind in force at a UTC instant (seconds since the epoch).
    fn kind_at(self, utc: i64) -> u16 {
        let (first, changes) = self.table();
        let i = changes.partition_point(|&(at, _)| seconds(at) <= utc);
        if i == 0 { first } else { changes[i - 1].1 }
    }

    /// The offsets a local wall time (seconds since the local epoch) has: one, two (a repeated hour) or
    /// none (a skipped hour).
    fn kinds_at_local(self, local: i64) -> MappedLocalTime<ZoneOffset> {
        // Offsets stay within ±26 h: only the spans in force within that reach of `local` can hold it.
        const REACH: i64 = 26 * 3_600;
        let (first, changes) = self.table();
        // Span i is in force over [start(i), end(i)) in UTC, with kind(i); span 0 from the beginning.
        let start = |i: usize| i.checked_sub(1).map_or(i64::MIN, |i| seconds(changes[i].0));
        let end = |i: usize| changes.get(i).map_or(i64::MAX, |c| seconds(c.0));
        let kind = |i: usize| i.checked_sub(1).map_or(first, |i| changes[i].1);
        let from = changes.partition_point(|&(at, _)| seconds(at) <= local - REACH);
        let to = changes.partition_point(|&(at, _)| seconds(at) <= local + REACH);
        let mut found = (from..=to).filter(|&i| {
            let utc = local - i64::from(kind_offset_seconds(kind(i)));
            start(i) <= utc && utc < end(i)
        });
        match (found.next(), found.next()) {
            (Some(a), None) => MappedLocalTime::Single(self.offset_of(kind(a))),
            (Some(a), Some(b)) => {
                MappedLocalTime::Ambiguous(self.offset_of(kind(a)), self.offset_of(kind(b)))
            }
            _ => MappedLocalTime::None,
        }
    }
}

fn kind_offset_seconds(kind: u16) -> i32 {
    data::KINDS[usize::from(kind)].0
}

/// A change's UTC minute in seconds since the epoch.
fn seconds(minute: i32) -> i64 {
    i64::from(minute) * 60
}

fn timestamp(t: &NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Zone {
    type Err = ();

    fn from_str(name: &str) -> Result<Zone, ()> {
        Zone::named(name).ok_or(())
    }
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        // Every offset of the tz database is within chrono's ±24 h.
        FixedOffset::east_opt(kind_offset_seconds(self.kind)).unwrap_or(chrono::Utc.fix())
    }
}

/// The abbreviation, as `%Z` prints it: `KST`, `CEST`, or `+0545` where the zone has none.
impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(data::KINDS[usize::from(self.kind)].1)
    }
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Zone {
        offset.zone
    }

    /// A date's offset: its midnight's, or its last second's when midnight is skipped (as chrono-tz).
    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        let midnight = timestamp(&local.and_time(NaiveTime::MIN));
        match (
            self.kinds_at_local(midnight),
            self.kinds_at_local(midnight + 86_399),
        ) {
            (MappedLocalTime::Single(o) | MappedLocalTime::Ambiguous(o, _), _)
            | (_, MappedLocalTime::Single(o) | MappedLocalTime::Ambiguous(o, _)) => {
                MappedLocalTime::Single(o)
            }
            _ => MappedLocalTime::None,
        }
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        self.kinds_at_local(timestamp(local))
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_of(self.kind_at(timestamp(&utc.and_time(NaiveTime::MIN))))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset_of(self.kind_at(timestamp(utc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike as _, Duration};

    #[test]
    fn offset_spread_is_the_gap_between_the_offsets_since_2020() {
        let spread = |name: &str| Zone::named(name).unwrap().offset_spread();
        assert_eq!(spread("Europe/Berlin"), 60);
        assert_eq!(
            spread("Australia/Lord_Howe"),
            30,
            "half-hour daylight saving"
        );
        assert_eq!(spread("Asia/Seoul"), 0);
        assert_eq!(spread("UTC"), 0);
        assert_eq!(spread("Europe/Moscow"), 0, "its last change was in 2014");
        assert_eq!(
            spread("America/Sao_Paulo"),
            0,
            "no daylight saving since 2019"
        );
        // No zone's offsets sampled weekly since 2020 lie further apart.
        let start = NaiveDate::from_ymd_opt(2020, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        for tz in chrono_tz::TZ_VARIANTS {
            let (mut low, mut high) = (i32::MAX, i32::MIN);
            for week in 0..4_170 {
                let offset = tz
                    .offset_from_utc_datetime(&(start + Duration::weeks(week)))
                    .fix()
                    .local_minus_utc();
                (low, high) = (low.min(offset), high.max(offset));
            }
            let sampled = i64::from(high - low) / 60;
            let zone = Zone::named(tz.name()).unwrap();
            assert!(sampled <= zone.offset_spread(), "{}", tz.name());
        }
    }

    #[test]
    fn every_name_of_chrono_tz_is_a_zone_and_back() {
        assert_eq!(Zone::names().count(), chrono_tz::TZ_VARIANTS.len());
        for tz in chrono_tz::TZ_VARIANTS {
            let zone = Zone::named(tz.name()).unwrap();
            assert_eq!(zone.name(), tz.name());
        }
        assert_eq!(Zone::named("asia/seoul"), None);
        assert_eq!(Zone::UTC.name(), "UTC");
        assert_ne!(Zone::named("Etc/UTC"), Some(Zone::UTC));
    }

    /// The tables against chrono-tz in every zone from 2000 to 2110: the offset every 23 hours (so every
    /// hour of the day is met), the abbreviation every 10 days, and both a minute around each change.
    #[test]
    fn utc_instants_read_as_chrono_tz_reads_them() {
        let from = NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        for tz in chrono_tz::TZ_VARIANTS {
            let zone = Zone::named(tz.name()).unwrap();
            let checked = |t: NaiveDateTime, words: bool| {
                let (ours, theirs) = (
                    zone.offset_from_utc_datetime(&t),
                    tz.offset_from_utc_datetime(&t),
                );
                assert_eq!(ours.fix(), theirs.fix(), "{} at {t}", tz.name());
                if words {
                    assert_eq!(ours.to_string(), theirs.to_string(), "{} at {t}", tz.name());
                }
            };
            let mut t = from;
            for step in 0.. {
                if t.year() >= 2110 {
                    break;
                }
                checked(t, step % 10 == 0);
                t += Duration::hours(23);
            }
            for &(minute, _) in zone.table().1 {
                for delta in [-1, 0, 1] {
                    let at = chrono::DateTime::from_timestamp((i64::from(minute) + delta) * 60, 0);
                    checked(at.unwrap().naive_utc(), true);
                }
            }
        }
    }

    /// Local wall times near every change (gaps and repeated hours) resolve as chrono-tz resolves them.
    #[test]
    fn local_times_resolve_as_chrono_tz_resolves_them() {
        for tz in chrono_tz::TZ_VARIANTS {
            let zone = Zone::named(tz.name()).unwrap();
            for &(minute, _) in zone.table().1 {
                let change = chrono::DateTime::from_timestamp(i64::from(minute) * 60, 0).unwrap();
                let mut local = change.naive_utc() - Duration::hours(27);
                while local < change.naive_utc() + Duration::hours(27) {
                    let ours = zone.from_local_datetime(&local).map(|t| t.timestamp());
                    let theirs = tz.from_local_datetime(&local).map(|t| t.timestamp());
                    assert_eq!(ours, theirs, "{} at local {local}", tz.name());
                    local += Duration::minutes(30);
                }
            }
        }
        let seoul = Zone::named("Asia/Seoul").unwrap();
        let t = seoul.with_ymd_and_hms(2026, 11, 24, 15, 43, 0).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T15:43:00+09:00");
        assert_eq!(t.format("%a %H:%M %Z").to_string(), "Tue 15:43 KST");
    }
}
