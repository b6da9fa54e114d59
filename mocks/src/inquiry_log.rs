//! Which request ids (inquiry serials) an agency saw for each debtor and case: the agency-side
//! oracle of "no debtor is asked under two ids" (a repeated serial is the same inquiry asked
//! again, which an agency recognises; a second serial is a second inquiry). Held per agency in
//! its [`Knobs`](crate::knobs::Knobs); tests read it directly.

use std::collections::HashMap;
use std::sync::Mutex;

/// (debtor identifier, case number).
type Pair = (String, String);
/// Each request id seen, and how often.
type Ids = Vec<(String, u32)>;

/// Request ids seen per debtor and case, and how often each was seen.
#[derive(Debug, Default)]
pub struct InquiryLog {
    seen: Mutex<HashMap<Pair, Ids>>,
}

/// What the log holds, summed up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InquiryTally {
    /// Distinct (debtor, case) pairs asked about.
    pub pairs: usize,
    /// Pairs asked about under more than one request id.
    pub pairs_with_several_ids: usize,
    /// Inquiries received in all, and those repeating a serial already seen.
    pub inquiries: u64,
    pub repeats: u64,
}

impl InquiryLog {
    /// Notes an inquiry about `debtor` in `case` under `request_id`.
    pub fn record(&self, debtor: &str, case: &str, request_id: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let ids = seen
            .entry((debtor.to_string(), case.to_string()))
            .or_default();
        match ids.iter_mut().find(|(id, _)| id == request_id) {
            Some((_, count)) => *count += 1,
            None => ids.push((request_id.to_string(), 1)),
        }
    }

    /// The request ids seen for `debtor` in `case`, each with how often it was seen.
    pub fn ids(&self, debtor: &str, case: &str) -> Vec<(String, u32)> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&(debtor.to_string(), case.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    pub fn tally(&self) -> InquiryTally {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut tally = InquiryTally {
            pairs: seen.len(),
            ..InquiryTally::default()
        };
        for ids in seen.values() {
            if ids.len() > 1 {
                tally.pairs_with_several_ids += 1;
            }
            for (_, count) in ids {
                tally.inquiries += u64::from(*count);
                tally.repeats += u64::from(count - 1);
            }
        }
        tally
    }

    /// Forgets everything seen.
    pub fn clear(&self) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ids_per_debtor_and_case_and_repeats_of_a_serial() {
        let log = InquiryLog::default();
        log.record("D1", "C1", "swp-a-0");
        log.record("D1", "C1", "swp-a-0");
        log.record("D2", "C1", "swp-a-1");
        log.record("D2", "C2", "x");
        assert_eq!(
            log.tally(),
            InquiryTally {
                pairs: 3,
                pairs_with_several_ids: 0,
                inquiries: 4,
                repeats: 1
            }
        );
        log.record("D2", "C1", "swp-b-9");
        assert_eq!(log.tally().pairs_with_several_ids, 1);
        assert_eq!(log.ids("D1", "C1"), vec![("swp-a-0".to_string(), 2)]);
        log.clear();
        assert_eq!(log.tally(), InquiryTally::default());
    }
}
