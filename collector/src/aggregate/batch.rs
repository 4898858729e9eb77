//! Batches split by shard: a counting sort of the batch's positions, linear in its length,
//! so each shard's lock is taken once per batch without sorting the spans themselves.

/// Positions of a batch's items, grouped by shard.
#[derive(Debug, Default)]
pub(super) struct ByShard {
    /// Item positions, shard 0's first.
    order: Vec<u32>,
    /// Where each shard's positions end in `order`.
    ends: Vec<u32>,
}

impl ByShard {
    /// Groups the positions of `items` (at most `u32::MAX` of them) by `shard_of`, which must
    /// be below `shards`; items it maps elsewhere, or to `None`, are left out.
    pub(super) fn new<T>(
        items: &[T],
        shards: usize,
        shard_of: impl Fn(&T) -> Option<usize>,
    ) -> Self {
        const NONE: u32 = u32::MAX;
        let mut ends = vec![0u32; shards];
        let index: Vec<u32> = items
            .iter()
            .map(
                |item| match shard_of(item).and_then(|s| Some((s, ends.get_mut(s)?))) {
                    Some((shard, end)) => {
                        *end += 1;
                        u32::try_from(shard).unwrap_or(NONE)
                    }
                    None => NONE,
                },
            )
            .collect();
        let mut running = 0;
        let mut next: Vec<u32> = ends
            .iter_mut()
            .map(|end| {
                let start = running;
                running += *end;
                *end = running;
                start
            })
            .collect();
        let mut order = vec![0u32; running as usize];
        for (position, shard) in (0u32..).zip(index) {
            let Some(at) = next.get_mut(shard as usize) else {
                continue;
            };
            if let Some(slot) = order.get_mut(*at as usize) {
                *slot = position;
            }
            *at += 1;
        }
        Self { order, ends }
    }

    /// Each shard that has items, with their positions in batch order.
    pub(super) fn groups(&self) -> impl Iterator<Item = (usize, &[u32])> + '_ {
        let mut start = 0usize;
        self.ends
            .iter()
            .enumerate()
            .filter_map(move |(shard, &end)| {
                let group = self.order.get(start..end as usize)?;
                start = end as usize;
                (!group.is_empty()).then_some((shard, group))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_positions_by_shard_in_batch_order() {
        let items = [3usize, 1, 3, 0, 9, 1, 3];
        let by = ByShard::new(&items, 4, |&i| (i != 9).then_some(i));
        let groups: Vec<(usize, Vec<u32>)> = by.groups().map(|(s, g)| (s, g.to_vec())).collect();
        assert_eq!(
            groups,
            vec![(0, vec![3]), (1, vec![1, 5]), (3, vec![0, 2, 6])]
        );
        assert_eq!(
            ByShard::new(&[] as &[usize], 4, |&i| Some(i))
                .groups()
                .count(),
            0
        );
    }
}
