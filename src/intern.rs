//! One shared copy of each repeated text.
//!
//! Readers meet the same values again and again: a Twilio export repeats its
//! account, sender, statuses and recipients; a log repeats its format,
//! source, URL, host and User-Agent. [`Interner::get`] hands out clones of
//! one [`Shared`] allocation per distinct value, so a million records hold
//! each repeat once. The table is bounded: texts longer than
//! [`Interner::MAX_LEN`] are never kept, and once the kept texts pass the
//! byte budget the table starts afresh, so it stays small (and cache
//! friendly) whatever the input holds. What `get` returns is always equal
//! in value to a fresh copy: output never depends on the table's state.

use crate::model::Shared;
use crate::FastSet;

/// A bounded table of shared texts.
#[derive(Debug)]
pub struct Interner {
    seen: FastSet<Shared>,
    /// Bytes held by `seen`, counting some overhead per entry.
    bytes: usize,
    budget: usize,
}

impl Interner {
    /// Texts longer than this are not kept (a URL with its query, a long
    /// body: such values rarely repeat).
    pub const MAX_LEN: usize = 512;
    /// The default budget: 1 MiB of kept text.
    pub const BUDGET: usize = 1 << 20;
    /// What each kept entry is counted as, beyond its text.
    const OVERHEAD: usize = 32;

    /// An empty table that keeps up to `budget` bytes of text.
    pub fn new(budget: usize) -> Interner {
        Interner {
            seen: FastSet::default(),
            bytes: 0,
            budget,
        }
    }

    /// `text` as a [`Shared`] string, a clone of the kept copy when there
    /// is one.
    pub fn get(&mut self, text: &str) -> Shared {
        if text.len() > Self::MAX_LEN {
            return text.into();
        }
        if let Some(v) = self.seen.get(text) {
            return v.clone();
        }
        let cost = text.len() + Self::OVERHEAD;
        if self.bytes + cost > self.budget {
            self.seen.clear();
            self.bytes = 0;
        }
        let v: Shared = text.into();
        self.bytes += cost;
        self.seen.insert(v.clone());
        v
    }

    /// Bytes the table counts as held (never above its budget).
    pub fn held(&self) -> usize {
        self.bytes
    }
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::new(Interner::BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_one_allocation_and_equal_to_a_copy() {
        let mut t = Interner::default();
        let a = t.get("nginx:combined");
        let b = t.get(&String::from("nginx:combined"));
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "nginx:combined");
        // Long texts are not kept, but keep their value.
        let long = "x".repeat(Interner::MAX_LEN + 1);
        let (c, d) = (t.get(&long), t.get(&long));
        assert!(!std::sync::Arc::ptr_eq(&c, &d));
        assert_eq!(*c, *long);
    }

    #[test]
    fn a_full_table_starts_afresh_and_values_stay_right() {
        let mut t = Interner::new(4096);
        for i in 0..1000 {
            let want = format!("value-{i:040}");
            assert_eq!(&*t.get(&want), want);
            assert!(t.held() <= 4096);
        }
        assert_eq!(&*t.get("nginx:combined"), "nginx:combined");
    }
}
