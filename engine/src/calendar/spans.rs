//! Sets of half-open time spans, in minutes since the Unix epoch (UTC).
//!
//! Every timeline in the engine (budget activity, business hours, frozen time) is a [`SpanSet`]:
//! sorted, disjoint and non-adjacent spans, so set algebra is a linear merge, never a minute loop.

/// Minutes since 1970-01-01T00:00Z.
pub type Minute = i64;

pub const MINUTES_PER_DAY: Minute = 24 * 60;
pub const MINUTES_PER_WEEK: Minute = 7 * MINUTES_PER_DAY;

/// `[start, end)` in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: Minute,
    pub end: Minute,
}

impl Span {
    pub fn new(start: Minute, end: Minute) -> Self {
        Span { start, end }
    }

    pub fn len(&self) -> Minute {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Sorted, disjoint, merged spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanSet {
    spans: Vec<Span>,
}

impl SpanSet {
    pub fn new() -> Self {
        SpanSet::default()
    }

    /// An empty set with room for `spans` spans (the engine's sets are built by pushing in order).
    pub fn with_capacity(spans: usize) -> Self {
        SpanSet {
            spans: Vec::with_capacity(spans),
        }
    }

    pub fn from_span(span: Span) -> Self {
        let mut set = SpanSet::new();
        set.push(span.start, span.end);
        set
    }

    /// Adds `[start, end)`; `start` must not precede the start of the last span pushed.
    /// Overlapping or touching spans merge.
    pub fn push(&mut self, start: Minute, end: Minute) {
        if end <= start {
            return;
        }
        match self.spans.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => self.spans.push(Span { start, end }),
        }
    }

    /// End of the last span, if any.
    pub fn last_end(&self) -> Option<Minute> {
        self.spans.last().map(|s| s.end)
    }

    /// Extends the last span's end (used when a whole day's fires fall inside it).
    pub fn extend_last(&mut self, end: Minute) {
        if let Some(last) = self.spans.last_mut() {
            last.end = last.end.max(end);
        }
    }

    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn total(&self) -> Minute {
        self.spans.iter().map(Span::len).sum()
    }

    pub fn contains(&self, t: Minute) -> bool {
        let i = self.spans.partition_point(|s| s.end <= t);
        self.spans.get(i).is_some_and(|s| s.start <= t)
    }

    /// Whether any minute of `span` is in the set.
    pub fn overlaps(&self, span: Span) -> bool {
        let i = self.spans.partition_point(|s| s.end <= span.start);
        self.spans.get(i).is_some_and(|s| s.start < span.end)
    }

    /// Whether every minute of `span` is in the set.
    pub fn covers(&self, span: Span) -> bool {
        let i = self.spans.partition_point(|s| s.end <= span.start);
        span.is_empty()
            || self
                .spans
                .get(i)
                .is_some_and(|s| s.start <= span.start && span.end <= s.end)
    }

    /// This set restricted to `[start, end)`.
    pub fn clip(&self, start: Minute, end: Minute) -> SpanSet {
        let mut out = SpanSet::with_capacity(self.spans.len());
        for s in &self.spans {
            out.push(s.start.max(start), s.end.min(end));
        }
        out
    }

    pub fn union(&self, other: &SpanSet) -> SpanSet {
        // Both are sorted: merge them.
        let mut out = SpanSet::with_capacity(self.spans.len() + other.spans.len());
        let (mut a, mut b) = (self.spans.iter().peekable(), other.spans.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.start <= y.start => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, _) => b.next(),
            };
            let Some(s) = next else { return out };
            out.push(s.start, s.end);
        }
    }

    /// Minutes in `self` and not in `other`.
    pub fn subtract(&self, other: &SpanSet) -> SpanSet {
        let mut out = SpanSet::new();
        let mut j = 0;
        for s in &self.spans {
            let mut cursor = s.start;
            while j < other.spans.len() && other.spans[j].end <= cursor {
                j += 1;
            }
            let mut k = j;
            while k < other.spans.len() && other.spans[k].start < s.end {
                let o = other.spans[k];
                out.push(cursor, o.start.min(s.end));
                cursor = cursor.max(o.end);
                k += 1;
            }
            out.push(cursor, s.end);
        }
        out
    }

    /// `[start, end)` minus this set.
    pub fn complement(&self, start: Minute, end: Minute) -> SpanSet {
        SpanSet::from_span(Span::new(start, end)).subtract(self)
    }

    pub fn intersect(&self, other: &SpanSet) -> SpanSet {
        let mut out = SpanSet::new();
        let (mut i, mut j) = (0, 0);
        while i < self.spans.len() && j < other.spans.len() {
            let (a, b) = (self.spans[i], other.spans[j]);
            out.push(a.start.max(b.start), a.end.min(b.end));
            if a.end < b.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(spans: &[(i64, i64)]) -> SpanSet {
        let mut s = SpanSet::new();
        for &(a, b) in spans {
            s.push(a, b);
        }
        s
    }

    #[test]
    fn push_merges_overlapping_and_touching_spans() {
        let s = set(&[(0, 10), (5, 12), (12, 20), (30, 40)]);
        assert_eq!(s.spans(), &[Span::new(0, 20), Span::new(30, 40)]);
    }

    #[test]
    fn subtract_cuts_holes_and_edges() {
        let a = set(&[(0, 100), (200, 300)]);
        let b = set(&[(-10, 10), (50, 60), (90, 210), (290, 400)]);
        assert_eq!(
            a.subtract(&b).spans(),
            &[Span::new(10, 50), Span::new(60, 90), Span::new(210, 290)]
        );
    }

    #[test]
    fn intersect_union_and_complement_agree_with_membership() {
        let a = set(&[(0, 10), (20, 30), (40, 50)]);
        let b = set(&[(5, 25), (45, 60)]);
        let i = a.intersect(&b);
        let u = a.union(&b);
        let c = a.complement(-5, 70);
        for t in -5..70 {
            assert_eq!(
                i.contains(t),
                a.contains(t) && b.contains(t),
                "intersect at {t}"
            );
            assert_eq!(
                u.contains(t),
                a.contains(t) || b.contains(t),
                "union at {t}"
            );
            assert_eq!(c.contains(t), !a.contains(t), "complement at {t}");
        }
        assert_eq!(i.total(), 5 + 5 + 5);
        let bridging = set(&[(-5, 2), (8, 21), (30, 35), (60, 70)]);
        assert_eq!(
            a.union(&bridging).spans(),
            &[Span::new(-5, 35), Span::new(40, 50), Span::new(60, 70)]
        );
    }
}
