//! Fair share between tenants. One Switchboard serves many domains, and a round's batch is the unit of
//! a task's capacity (the job worker's users, the mail dispatcher's emails): rather than taking work in
//! arrival order (so that one domain's 10,000-user job holds every other domain's five-user reset, or
//! its 10,000 welcome emails another domain's one, behind it), each round divides its batch between the
//! domains with work waiting, and a domain's part between its queues (its running jobs; the mail
//! dispatcher has one queue per domain). A small job is then done within a round of its start, however
//! large the jobs beside it.
//!
//! Domains take turns: when more domains have work than fit in one round (each is given at least a
//! tenth of a batch, so that a batch stays large enough to be efficient), the next round starts with
//! the domain after the last one served. A domain's queues beyond `per_domain` wait for one of its
//! earlier ones to empty.

use sea_orm::DbErr;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicI32, Ordering};

/// The least a domain is given in a round, as a fraction of the batch: a batch is divided
/// between at most this many domains.
const DOMAINS_PER_ROUND: u64 = 10;

/// A queue of work of one domain: a running job (by its id), or a domain's emails (by the domain's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    pub id: i32,
    pub domain: i32,
}

/// How much of a queue to claim in this round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turn {
    pub queue: i32,
    pub domain: i32,
    pub take: u64,
}

/// Which domain a task served last, so that its next round starts with the next one.
#[derive(Debug)]
pub struct Rotation {
    last: AtomicI32,
}

/// `Rotation::last` before any domain was served.
const NONE_SERVED: i32 = i32::MIN;

impl Default for Rotation {
    fn default() -> Self {
        Rotation { last: AtomicI32::new(NONE_SERVED) }
    }
}

impl Rotation {
    /// This round's turns (`plan`), from the domain after the last one served; the last one this round
    /// serves is remembered for the next.
    pub fn next(&self, queues: &[Queue], per_domain: usize, batch: u64) -> Vec<Turn> {
        let last = Some(self.last.load(Ordering::Relaxed)).filter(|domain| *domain != NONE_SERVED);
        let turns = plan(queues, last, per_domain, batch);
        if let Some(turn) = turns.last() {
            self.last.store(turn.domain, Ordering::Relaxed);
        }
        turns
    }
}

/// Claims a round's `turns` with `claim(queue, how many)`, then gives what queues could not fill (they
/// had less waiting, or another replica held it) to those that filled their turn, in order, up to
/// `batch` in all. Like `leases::claim`, `claim` answers with the rows that call took: a queue asked
/// again keeps what it took the first time, with the rest added.
pub async fn claim<T, F, Fut>(turns: &[Turn], batch: u64, mut claim: F) -> Result<Vec<T>, DbErr>
where
    F: FnMut(i32, u64) -> Fut,
    Fut: Future<Output = Result<Vec<T>, DbErr>>,
{
    let mut claimed: Vec<(i32, Vec<T>)> = Vec::new();
    for turn in turns {
        claimed.push((turn.queue, claim(turn.queue, turn.take).await?));
    }
    let filled: Vec<usize> =
        turns.iter().enumerate().filter(|(n, turn)| claimed[*n].1.len() as u64 == turn.take).map(|(n, _)| n).collect();
    for n in filled {
        let held: u64 = claimed.iter().map(|(_, rows)| rows.len() as u64).sum();
        let left = batch.saturating_sub(held);
        if left == 0 {
            break;
        }
        let queue = claimed[n].0;
        let more = claim(queue, left).await?;
        claimed[n].1.extend(more);
    }
    Ok(claimed.into_iter().flat_map(|(_, rows)| rows).collect())
}

/// One round's turns for a batch of `batch`: `queues` in order of id (oldest first), starting with the
/// first domain after `after` (the last domain served), at most `per_domain` queues of each domain.
pub fn plan(queues: &[Queue], after: Option<i32>, per_domain: usize, batch: u64) -> Vec<Turn> {
    let mut by_domain: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for queue in queues {
        let ids = by_domain.entry(queue.domain).or_default();
        if ids.len() < per_domain.max(1) {
            ids.push(queue.id);
        }
    }
    // Domains after the last one served first, then from the start again.
    let (before, from): (Vec<_>, Vec<_>) = by_domain.into_iter().partition(|(domain, _)| Some(*domain) <= after);
    let served =
        (from.len() + before.len()).min(DOMAINS_PER_ROUND as usize).min(usize::try_from(batch).unwrap_or(usize::MAX));
    let mut turns = Vec::new();
    for (n, (domain, ids)) in from.into_iter().chain(before).take(served).enumerate() {
        let domains_part = part(batch, served, n);
        for (k, queue) in ids.iter().enumerate() {
            let take = part(domains_part, ids.len(), k);
            if take > 0 {
                turns.push(Turn { queue: *queue, domain, take });
            }
        }
    }
    turns
}

/// The `n`-th of `parts` nearly equal parts of `whole` (the first ones one larger when it does not
/// divide evenly).
fn part(whole: u64, parts: usize, n: usize) -> u64 {
    let parts = parts.max(1) as u64;
    whole / parts + u64::from((n as u64) < whole % parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(list: &[(i32, i32)]) -> Vec<Queue> {
        list.iter().map(|&(id, domain)| Queue { id, domain }).collect()
    }

    fn shares(turns: &[Turn]) -> Vec<(i32, u64)> {
        turns.iter().map(|turn| (turn.queue, turn.take)).collect()
    }

    #[test]
    fn one_job_alone_has_the_whole_batch() {
        assert_eq!(shares(&plan(&jobs(&[(7, 1)]), None, 3, 1000)), [(7, 1000)]);
    }

    #[test]
    fn two_domains_share_a_batch_equally_whatever_their_jobs_sizes() {
        assert_eq!(shares(&plan(&jobs(&[(1, 10), (2, 20)]), None, 3, 1000)), [(1, 500), (2, 500)]);
        assert_eq!(shares(&plan(&jobs(&[(1, 10), (2, 20)]), None, 3, 7)), [(1, 4), (2, 3)]);
    }

    #[test]
    fn a_domains_part_is_shared_by_its_jobs_and_a_domain_with_more_jobs_gets_no_more() {
        let turns = plan(&jobs(&[(1, 10), (2, 10), (3, 20)]), None, 3, 1000);
        assert_eq!(shares(&turns), [(1, 250), (2, 250), (3, 500)]);
    }

    #[test]
    fn jobs_beyond_a_domains_limit_wait_for_its_earlier_ones() {
        let turns = plan(&jobs(&[(1, 10), (2, 10), (3, 10), (4, 20)]), None, 2, 1000);
        assert_eq!(shares(&turns), [(1, 250), (2, 250), (4, 500)]);
    }

    #[test]
    fn many_domains_take_turns_from_the_one_after_the_last_served() {
        let running: Vec<(i32, i32)> = (1..=25).map(|domain| (100 + domain, domain)).collect();
        let first = plan(&jobs(&running), None, 3, 1000);
        assert_eq!(first.len(), 10);
        assert!(first.iter().all(|turn| turn.take == 100));
        assert_eq!((first[0].domain, first[9].domain), (1, 10));
        let second = plan(&jobs(&running), Some(10), 3, 1000);
        assert_eq!((second[0].domain, second[9].domain), (11, 20));
        // The end wraps around to the start.
        let third = plan(&jobs(&running), Some(20), 3, 1000);
        let domains: Vec<i32> = third.iter().map(|turn| turn.domain).collect();
        assert_eq!(domains, [21, 22, 23, 24, 25, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_batch_smaller_than_the_domains_serves_one_user_of_each_in_turn() {
        let turns = plan(&jobs(&[(1, 1), (2, 2), (3, 3)]), Some(1), 3, 2);
        assert_eq!(shares(&turns), [(2, 1), (3, 1)]);
    }

    #[test]
    fn nothing_waiting_plans_nothing() {
        assert!(plan(&[], None, 3, 1000).is_empty());
    }

    #[test]
    fn a_rotation_starts_each_round_after_the_domain_it_served_last() {
        let running: Vec<(i32, i32)> = (1..=12).map(|domain| (domain, domain)).collect();
        let rotation = Rotation::default();
        let first: Vec<i32> = rotation.next(&jobs(&running), 1, 10).iter().map(|turn| turn.domain).collect();
        assert_eq!(first, (1..=10).collect::<Vec<_>>());
        let second: Vec<i32> = rotation.next(&jobs(&running), 1, 10).iter().map(|turn| turn.domain).collect();
        assert_eq!(second, [11, 12, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
