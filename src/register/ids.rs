//! Pupil ids held compactly: a register of a million pupils keeps their ids as one string
//! and an end offset each, and finds them through a table of indices into it, not a
//! map of an allocated string per pupil (which cost more than the marks themselves).

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// The most pupils one register holds: a pupil's index is a `u32`, and at 64 bytes an id
/// this many ids fit in the `u32` offsets. England has about nine million pupils.
pub const MAX_PUPILS: usize = 50_000_000;

/// Ids one after another; id `i` is `text[ends[i - 1]..ends[i]]`. Held as text, checked
/// once as it is listed: an id is read as text for every row of every output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdList {
    text: String,
    ends: Vec<u32>,
}

impl IdList {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends an id and returns its index; `None` when the list holds [`MAX_PUPILS`] ids, or
    /// the id is longer than 64 bytes (the longest valid id) or not text (a valid id is
    /// ASCII).
    pub fn push(&mut self, id: &[u8]) -> Option<u32> {
        self.push_within(id, MAX_PUPILS)
    }

    /// [`IdList::push`] with a limit of `limit` ids.
    fn push_within(&mut self, id: &[u8], limit: usize) -> Option<u32> {
        if self.ends.len() >= limit || id.len() > 64 {
            return None;
        }
        let id = std::str::from_utf8(id).ok()?;
        let index = u32::try_from(self.ends.len()).ok()?;
        self.text.push_str(id);
        self.ends.push(u32::try_from(self.text.len()).ok()?);
        Some(index)
    }

    /// Id `i`, empty outside the list.
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        self.text(i).as_bytes()
    }

    /// Id `i` as text, empty outside the list.
    #[inline]
    pub fn text(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied(),
            None => Some(0),
        };
        match (start, self.ends.get(i)) {
            (Some(a), Some(b)) => self.text.get(a as usize..*b as usize).unwrap_or(""),
            _ => "",
        }
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// The hash of a pupil id. Ids come from files written by many hands, so they are hashed
/// with std's keyed SipHash, which a file cannot make collide (ids that share a prefix, or
/// were chosen to, would pile up in one bucket group of a weaker hash). One key serves every
/// index of a read, so an id read by one thread is hashed once.
#[derive(Clone, Debug, Default)]
pub struct IdHasher(RandomState);

impl IdHasher {
    #[inline]
    pub fn hash(&self, id: &[u8]) -> u32 {
        // The low half of a keyed hash is as unpredictable as the whole.
        self.0.hash_one(id) as u32
    }
}

/// The table's hash of an entry: its stored 32-bit hash spread over 64 bits, so that the
/// table's tag (its top bits) depends on all of them. Kept beside the index, a growing table
/// moves entries without hashing an id again.
#[inline]
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Finds an id's index in an [`IdList`] (or any list of ids): eight bytes an id, the index
/// and its hash.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    table: HashTable<(u32, u32)>,
}

impl IdIndex {
    /// Room for `n` ids.
    pub fn with_capacity(n: usize) -> IdIndex {
        IdIndex {
            table: HashTable::with_capacity(n),
        }
    }

    /// The index of `id`, whose [`IdHasher::hash`] is `hash`.
    #[inline]
    pub fn find(&self, ids: &IdList, id: &[u8], hash: u32) -> Option<usize> {
        self.find_by(hash, |i| ids.get(i) == id)
    }

    /// The index whose hash is `hash` and whose id `is` the one sought (`is(i)`: id `i` is).
    #[inline]
    pub fn find_by(&self, hash: u32, is: impl Fn(usize) -> bool) -> Option<usize> {
        self.table
            .find(spread(hash), |(i, h)| *h == hash && is(*i as usize))
            .map(|(i, _)| *i as usize)
    }

    /// Points the entry of index `old` (whose id's hash is `hash`) at `new`.
    pub fn replace(&mut self, old: usize, new: u32, hash: u32) {
        let entry = self
            .table
            .find_mut(spread(hash), |(i, h)| *h == hash && *i as usize == old);
        if let Some(entry) = entry {
            entry.0 = new;
        }
    }

    /// Indexes id `i`, whose hash is `hash` and which is not indexed yet.
    pub fn insert(&mut self, i: u32, hash: u32) {
        self.table
            .insert_unique(spread(hash), (i, hash), |(_, h)| spread(*h));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_by_their_bytes() {
        let mut ids = IdList::default();
        let mut index = IdIndex::default();
        let hasher = IdHasher::default();
        for id in ["P1", "P10", "", "Q-2.x"] {
            let i = ids.push(id.as_bytes()).unwrap_or(u32::MAX);
            index.insert(i, hasher.hash(id.as_bytes()));
        }
        let find = |id: &[u8]| index.find(&ids, id, hasher.hash(id));
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.text(1), "P10");
        assert_eq!(ids.get(2), b"");
        assert_eq!(ids.get(9), b"");
        assert_eq!(find(b"Q-2.x"), Some(3));
        assert_eq!(find(b"P1"), Some(0));
        assert_eq!(find(b"P2"), None);
    }

    #[test]
    fn an_id_longer_than_any_valid_one_or_not_text_is_not_listed() {
        let mut ids = IdList::default();
        assert_eq!(ids.push(&[b'a'; 64]), Some(0));
        assert_eq!(ids.push(&[b'a'; 65]), None);
        assert_eq!(ids.push(&[b'P', 0xFF]), None);
        assert_eq!(ids.len(), 1);
        assert_eq!(ids.text(0).len(), 64);
    }

    #[test]
    fn no_id_is_listed_past_the_limit() {
        let mut ids = IdList::default();
        assert_eq!(ids.push_within(b"P1", 2), Some(0));
        assert_eq!(ids.push_within(b"P2", 2), Some(1));
        assert_eq!(ids.push_within(b"P3", 2), None);
        assert_eq!((ids.len(), ids.text(1)), (2, "P2"));
    }
}
