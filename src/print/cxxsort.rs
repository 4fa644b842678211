//! The order C++'s `std::sort` (GNU libstdc++) leaves a slice in.
//!
//! `std::sort` is not stable: where elements compare equal, the order it
//! leaves them in is a property of its algorithm (introsort: quicksort
//! with a median-of-three pivot down to runs of 16, heapsort past a depth
//! limit, then one insertion sort). sysdig sorts its `-S` table with it,
//! so printing the rows of equal counts as sysdig does means sorting the
//! same input with the same algorithm. Written from the algorithm's
//! description; the steps below are those libstdc++ takes.

/// Runs shorter than this are left to the final insertion sort.
const THRESHOLD: usize = 16;

/// Sorts `v` as `std::sort(v.begin(), v.end(), less)` would.
pub fn sort<T: Copy>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let depth = 2 * n.ilog2() as usize;
    introsort_loop(v, 0, n, depth, &less);
    final_insertion_sort(v, &less);
}

fn introsort_loop<T: Copy>(
    v: &mut [T],
    first: usize,
    mut last: usize,
    mut depth: usize,
    less: &impl Fn(&T, &T) -> bool,
) {
    while last - first > THRESHOLD {
        if depth == 0 {
            heap_sort(&mut v[first..last], less);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, less);
        introsort_loop(v, cut, last, depth, less);
        last = cut;
    }
}

/// Moves the median of the second, middle and last elements to the
/// front, then partitions the rest around it.
fn partition_pivot<T: Copy>(
    v: &mut [T],
    first: usize,
    last: usize,
    less: &impl Fn(&T, &T) -> bool,
) -> usize {
    let mid = first + (last - first) / 2;
    let (a, b, c) = (first + 1, mid, last - 1);
    let median = if less(&v[a], &v[b]) {
        if less(&v[b], &v[c]) {
            b
        } else if less(&v[a], &v[c]) {
            c
        } else {
            a
        }
    } else if less(&v[a], &v[c]) {
        a
    } else if less(&v[b], &v[c]) {
        c
    } else {
        b
    };
    v.swap(first, median);
    let pivot = v[first];
    let (mut lo, mut hi) = (first + 1, last);
    loop {
        while less(&v[lo], &pivot) {
            lo += 1;
        }
        hi -= 1;
        while less(&pivot, &v[hi]) {
            hi -= 1;
        }
        if lo >= hi {
            return lo;
        }
        v.swap(lo, hi);
        lo += 1;
    }
}

fn final_insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    if v.len() > THRESHOLD {
        insertion_sort(&mut v[..THRESHOLD], less);
        for i in THRESHOLD..v.len() {
            linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, less);
    }
}

fn insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        if less(&v[i], &v[0]) {
            v[..=i].rotate_right(1);
        } else {
            linear_insert(v, i, less);
        }
    }
}

/// Moves `v[i]` down past the elements greater than it (something not
/// greater lies below it).
fn linear_insert<T: Copy>(v: &mut [T], mut i: usize, less: &impl Fn(&T, &T) -> bool) {
    let val = v[i];
    while i > 0 && less(&val, &v[i - 1]) {
        v[i] = v[i - 1];
        i -= 1;
    }
    v[i] = val;
}

/// `std::partial_sort` over the whole range: a heap made bottom-up, then
/// its top moved to the end one by one.
fn heap_sort<T: Copy>(v: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let len = v.len();
    if len < 2 {
        return;
    }
    let mut parent = (len - 2) / 2;
    loop {
        let val = v[parent];
        adjust_heap(v, parent, len, val, less);
        if parent == 0 {
            break;
        }
        parent -= 1;
    }
    let mut last = len;
    while last > 1 {
        last -= 1;
        let val = v[last];
        v[last] = v[0];
        adjust_heap(&mut v[..last], 0, last, val, less);
    }
}

/// Sifts the hole at `hole` down to a leaf along the greater children,
/// then `val` back up from there.
fn adjust_heap<T: Copy>(
    v: &mut [T],
    mut hole: usize,
    len: usize,
    val: T,
    less: &impl Fn(&T, &T) -> bool,
) {
    let top = hole;
    let mut child = hole;
    while child < len.saturating_sub(1) / 2 {
        child = 2 * (child + 1);
        if less(&v[child], &v[child - 1]) {
            child -= 1;
        }
        v[hole] = v[child];
        hole = child;
    }
    if len.is_multiple_of(2) && len >= 2 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[hole] = v[child - 1];
        hole = child - 1;
    }
    let mut parent = hole.saturating_sub(1) / 2;
    while hole > top && less(&v[parent], &val) {
        v[hole] = v[parent];
        hole = parent;
        parent = hole.saturating_sub(1) / 2;
    }
    v[hole] = val;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no dependency).
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn sorts_like_any_sort() {
        let mut seed = 7;
        for n in [0, 1, 2, 3, 15, 16, 17, 40, 100, 1000, 5000] {
            for range in [2, 10, 1000] {
                let mut v: Vec<u64> = (0..n).map(|_| lcg(&mut seed) % range).collect();
                let mut want = v.clone();
                want.sort();
                sort(&mut v, |a, b| a < b);
                assert_eq!(v, want, "n {n} range {range}");
            }
        }
    }

    #[test]
    fn heap_sort_sorts() {
        let mut seed = 3;
        for n in [2, 3, 4, 5, 16, 17, 100, 101] {
            let mut v: Vec<u64> = (0..n).map(|_| lcg(&mut seed) % 7).collect();
            let mut want = v.clone();
            want.sort();
            heap_sort(&mut v, &|a: &u64, b: &u64| a < b);
            assert_eq!(v, want, "n {n}");
        }
    }

    /// Ties keep the order libstdc++ leaves them in: a descending sort of
    /// (count, id) pairs by count alone, as sysdig's -S does it, checked
    /// against the order g++'s std::sort printed for the same input.
    #[test]
    fn ties_in_libstdcxx_order() {
        let counts = [
            3u64, 1, 3, 0, 2, 3, 1, 0, 2, 2, 3, 1, 0, 0, 3, 2, 1, 3, 2, 0,
        ];
        let mut v: Vec<(u64, usize)> = counts.iter().copied().zip(0..).collect();
        sort(&mut v, |a, b| a.0 > b.0);
        let ids: Vec<usize> = v.iter().map(|x| x.1).collect();
        assert_eq!(ids, CXX_ORDER);
    }

    const CXX_ORDER: [usize; 20] = [
        0, 2, 5, 17, 10, 14, 18, 4, 8, 9, 15, 1, 16, 11, 6, 13, 12, 7, 3, 19,
    ];
}
