// SPDX-License-Identifier: LGPL-2.1-or-later
//! The crate against regions written with the module's protocol: open
//! validation, cursor and -ESTALE rules, lost-record reports, the size
//! rule, the seqlock under a concurrent writer, the clock model and the
//! forward-only clock.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use common::*;
use tsmon::errno::*;
use tsmon::*;

const S: u64 = 1_000_000_000;

fn err<T: std::fmt::Debug>(r: Result<T>) -> i32 {
    r.expect_err("expected an error").errno()
}

fn open(r: &Region) -> Tsmon {
    Tsmon::open(Some(&r.path)).expect("open")
}

#[test]
fn handle_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Tsmon>();
    send_sync::<Forward>();
    send_sync::<Cursor>();
    send_sync::<Record>();
    send_sync::<Health>();
    send_sync::<Time>();
    send_sync::<Info>();
    send_sync::<Error>();
}

#[test]
fn open_validates_as_libtsmon() {
    assert_eq!(err(Tsmon::open(Some(Path::new("/nonexistent/tsmon")))), -ENOENT);
    assert_eq!(err(Tsmon::open(Some(Path::new("/")))), -ENODEV);
    assert_eq!(err(Tsmon::open(Some(Path::new("/dev/null")))), -ENODEV);

    let cases: &[(&str, &dyn Fn(&Region), i32)] = &[
        ("magic", &|r| r.u64(0).store(1, Relaxed), -EBADMSG),
        ("abi", &|r| r.u32(8).store(2, Relaxed), -EPROTONOSUPPORT),
        ("magic first", &|r| {
            r.u64(0).store(1, Relaxed);
            r.u32(8).store(2, Relaxed)
        }, -EBADMSG),
        ("header_size", &|r| r.u32(12).store(191, Relaxed), -EBADMSG),
        ("health_size", &|r| r.u32(24).store(4, Relaxed), -EBADMSG),
        ("health_offset", &|r| r.u32(20).store(260, Relaxed), -EBADMSG),
        ("health past region", &|r| r.u32(24).store(8000, Relaxed), -EBADMSG),
        ("record_size small", &|r| r.u32(32).store(32, Relaxed), -EBADMSG),
        ("record_size pow2", &|r| r.u32(32).store(96, Relaxed), -EBADMSG),
        ("ring_entries", &|r| {
            r.u32(36).store(3, Relaxed);
            r.u32(40).store(2, Relaxed)
        }, -EBADMSG),
        ("ring_mask", &|r| r.u32(40).store(3, Relaxed), -EBADMSG),
        ("ring overlaps health", &|r| r.u32(28).store(256, Relaxed), -EBADMSG),
        ("ring overlaps header", &|r| r.u32(28).store(0, Relaxed), -EBADMSG),
        ("ring offset", &|r| r.u32(28).store(4100, Relaxed), -EBADMSG),
        ("region past file", &|r| r.u32(16).store(1 << 20, Relaxed), -EBADMSG),
    ];
    for (name, f, want) in cases {
        let r = Region::new("open", 8);
        f(&r);
        assert_eq!(err(Tsmon::open(Some(&r.path))), *want, "{}", name);
    }

    // A file shorter than a header.
    let r = Region::new("short", 8);
    std::fs::OpenOptions::new().write(true).open(&r.path).unwrap().set_len(191).unwrap();
    assert_eq!(err(Tsmon::open(Some(&r.path))), -EBADMSG);

    let r = Region::new("good", 8);
    let t = open(&r);
    let i = t.info();
    assert_eq!((i.abi_version, i.header_size, i.health_size, i.record_size), (1, 192, 1216, 64));
    assert_eq!((i.ring_entries, i.region_size, i.instance_id), (8, 4096 + 8 * 64, 0x1234_5678_9abc_def0));
    assert!(!t.is_device());
}

#[test]
fn timens_offset_as_proc_says() {
    let r = Region::new("timens", 8);
    let i = open(&r).info();
    assert_eq!(i.flags & INFO_TIMENS_UNKNOWN, 0, "/proc is mounted here");
    let want = std::fs::read_to_string("/proc/self/timens_offsets")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                let mut w = l.split_whitespace();
                if w.next()? != "monotonic" {
                    return None;
                }
                let sec: i64 = w.next()?.parse().ok()?;
                let nsec: i64 = w.next()?.parse().ok()?;
                Some((sec as u64).wrapping_mul(S).wrapping_add(nsec as u64))
            })
        })
        .unwrap_or(0);
    assert_eq!(i.timens_mono_offset_ns, want);
}

#[test]
fn cursors_and_stale_instances() {
    let r = Region::new("cursor", 8);
    let t = open(&r);
    let id = t.info().instance_id;

    assert_eq!(t.head(), 0);
    assert_eq!(t.cursor_init(Whence::Oldest, 0).unwrap().next(), 1);
    assert_eq!(t.cursor_init(Whence::Now, 0).unwrap().next(), 1);
    assert_eq!(err(t.cursor_init(Whence::Seq, 0)), -EINVAL);
    assert_eq!(t.cursor_init(Whence::Seq, 77).unwrap().next(), 77);
    let mut c = t.cursor_init(Whence::Oldest, 5).unwrap();
    assert_eq!(c.instance_id(), id);
    assert_eq!(err(t.next(&mut c)), -EAGAIN);
    assert_eq!(c.next(), 1, "-EAGAIN leaves the cursor alone");

    for i in 0..3 {
        r.push(EVENT_CLOCK_STEP, 100 + i, 200 + i, [(-5i64) as u64, STEP_SETOFFSET as u64, 0, 0]);
    }
    assert_eq!(t.cursor_init(Whence::Now, 0).unwrap().next(), 4);
    for i in 1..=3 {
        let rec = t.next(&mut c).unwrap();
        assert_eq!((rec.seq, rec.r#type, rec.mono_ns, rec.real_ns), (i, EVENT_CLOCK_STEP, 99 + i, 199 + i));
        let s = rec.step().unwrap();
        assert_eq!((s.delta_ns as i64, s.reason), (-5, STEP_SETOFFSET));
        assert_eq!(rec.leap(), None);
        assert_eq!(rec.type_name(), Some("clock_step"));
    }
    assert_eq!(err(t.next(&mut c)), -EAGAIN);

    // Another instance, and a cursor never set up: -EINVAL comes first.
    let mut stale = Cursor::from_raw(1, id + 1);
    assert_eq!(err(t.next(&mut stale)), -ESTALE);
    assert_eq!(err(t.next(&mut Cursor::from_raw(0, id + 1))), -EINVAL);
    assert_eq!(err(t.next(&mut Cursor::from_raw(0, id))), -EINVAL);

    // The module reloaded: a cursor of the old handle is stale on the new.
    let old = t.cursor_init(Whence::Oldest, 0).unwrap();
    r.u64(48).store(id ^ 0xff, Relaxed);
    let t2 = open(&r);
    assert_eq!(err(t2.next(&mut old.clone())), -ESTALE);
    assert_eq!(t2.next(&mut t2.cursor_init(Whence::Oldest, 0).unwrap()).unwrap().seq, 1);
}

#[test]
fn lost_records_are_reported() {
    let r = Region::new("lost", 4);
    let t = open(&r);
    for i in 1..=10u64 {
        r.push(EVENT_RESUME, i, i, [i, 0, 0, 0]);
    }
    assert_eq!(t.cursor_init(Whence::Oldest, 0).unwrap().next(), 7);
    let mut c = t.cursor_init(Whence::Seq, 1).unwrap();
    let lost = t.next(&mut c).unwrap();
    assert_eq!((lost.seq, lost.r#type, lost.mono_ns, lost.real_ns), (1, EVENT_LOST, 0, 0));
    assert_eq!(lost.lost().unwrap().count, 6);
    assert_eq!(lost.type_name(), Some("lost"));
    assert_eq!(c.next(), 7);
    for i in 7..=10 {
        let rec = t.next(&mut c).unwrap();
        assert_eq!((rec.seq, rec.resume().unwrap().sleep_ns), (i, i));
    }

    // The writer inside a slot the head already covers (its seq 0): the
    // record is lost, and the cursor moves one past it.
    let seq = r.push(EVENT_RESUME, 11, 11, [11, 0, 0, 0]);
    let slot = RING + (seq & 3) as usize * 64;
    r.u64(slot).store(0, Relaxed);
    let rec = t.next(&mut c).unwrap();
    assert_eq!((rec.seq, rec.r#type, rec.lost().unwrap().count, c.next()), (11, EVENT_LOST, 1, 12));
}

#[test]
fn size_rule() {
    let r = Region::new("size", 8);
    r.push(EVENT_TAI_CHANGE, 1, 2, [37 | 38 << 32, 0, 0, 0]);
    let t = open(&r);
    let mut c = t.cursor_init(Whence::Oldest, 0).unwrap();
    let mut small = [0u8; 63];
    assert_eq!(err(t.next_into(&mut c, &mut small)), -EINVAL);
    let mut big = [0xffu8; 100];
    t.next_into(&mut c, &mut big).unwrap();
    assert!(big[64..].iter().all(|&b| b == 0), "the tail is zeroed");
    let mut c = t.cursor_init(Whence::Oldest, 0).unwrap();
    let rec = t.next(&mut c).unwrap();
    assert_eq!(rec.as_bytes(), &big[..64]);
    assert_eq!(rec.tai().map(|x| (x.tai_before, x.tai_after)), Some((37, 38)));

    r.update(|r| r.h32(H_HOOKS).store(5, Relaxed));
    let mut h7 = [0u8; 7];
    assert_eq!(err(t.health_into(&mut h7)), -EINVAL);
    let mut h = vec![0xffu8; 2000];
    t.health_into(&mut h).unwrap();
    assert!(h[1216..].iter().all(|&b| b == 0));
    assert_eq!(&h[..1216], t.health().unwrap().as_bytes());
    assert_eq!(t.health().unwrap().hooks, 5);
    assert_eq!(t.health().unwrap().seq, 2);

    // An older module fills 64 bytes: the rest reads 0 whatever is there.
    r.h64(104).store(u64::MAX, Relaxed);
    r.u32(24).store(64, Relaxed);
    let t = open(&r);
    let h = t.health().unwrap();
    assert!(h.as_bytes()[64..].iter().all(|&b| b == 0));
    assert_eq!(h.hooks, 5);
    t.now().unwrap();

    // Shorter than the clock line: no clock.
    r.u32(24).store(56, Relaxed);
    let t = open(&r);
    assert_eq!(err(t.now()), -EOPNOTSUPP);
    assert_eq!(err(t.now_at(5)), -EOPNOTSUPP);
    assert_eq!(err(t.forward_now(&Forward::new())), -EOPNOTSUPP);
    assert_eq!(err(t.one_way_valid(u64::MAX)), -EOPNOTSUPP);
    assert_eq!(t.health().unwrap().hooks, 0, "past the module's 56 bytes");
    assert_eq!(t.health().unwrap().disrupt_mono_ns, 0);
}

#[test]
fn writer_stopped_mid_update() {
    let r = Region::new("odd", 8);
    r.synced(mono_now(), 1000);
    let t = open(&r);
    t.set_spin_limit(1_000_000).unwrap();

    // body_seq odd: a whole copy gives up, a clock read does not.
    r.h64(H_BODY_SEQ).fetch_add(1, Relaxed);
    let start = Instant::now();
    assert_eq!(err(t.health()), -EAGAIN);
    assert!(start.elapsed() >= Duration::from_micros(900));
    t.now().unwrap();
    let mut prefix = [0u8; 64];
    assert_eq!(err(t.health_into(&mut prefix)), -EAGAIN, "the prefix is a copy too");
    r.h64(H_BODY_SEQ).fetch_add(1, Relaxed);
    t.health().unwrap();

    // seq odd: everything waits, then -EAGAIN.
    r.h64(H_SEQ).fetch_add(1, Relaxed);
    assert_eq!(err(t.health()), -EAGAIN);
    assert_eq!(err(t.now()), -EAGAIN);
    assert_eq!(err(t.now_at(5)), -EAGAIN);
    r.h64(H_SEQ).fetch_add(1, Relaxed);
    t.now().unwrap();
}

#[test]
fn clock_model() {
    let r = Region::new("clock", 8);
    let t = open(&r);
    let ns = t.info().timens_mono_offset_ns;

    // Nothing seen: unknown, unbounded.
    let x = t.now().unwrap();
    assert_eq!(x.status, CLOCK_UNKNOWN);
    assert_eq!(x.flags & (TIME_NO_HOOK | TIME_NO_SYNC | TIME_UNBOUNDED), TIME_NO_HOOK | TIME_NO_SYNC | TIME_UNBOUNDED);
    assert_eq!((x.bound_ns, x.latest_ns, x.earliest_ns, x.sync_age_ns), (u64::MAX, u64::MAX, 0, u64::MAX));

    let sync = mono_now() - ns - S;
    r.synced(sync, 1_500_000);
    let x = t.now_at(sync + ns + S).unwrap();
    assert_eq!((x.status, x.flags), (CLOCK_SYNCHRONIZED, 0));
    assert_eq!(x.bound_ns, 1_500_000 + 50_000);
    assert_eq!(x.sync_age_ns, S);
    assert_eq!(x.mono_ns, sync + ns + S);
    assert_eq!((x.earliest_ns, x.latest_ns), (x.real_ns - x.bound_ns, x.real_ns + x.bound_ns));
    let now = t.now().unwrap();
    assert_eq!(now.status, CLOCK_SYNCHRONIZED);
    assert!(now.real_ns.abs_diff(real_now()) < 50_000_000, "REALTIME from the line");
    assert!(t.one_way_valid(2_000_000).unwrap().0);
    assert!(!t.one_way_valid(1_000_000).unwrap().0);

    // Settings, validated as libtsmon validates them.
    assert_eq!(err(t.set_drift(DRIFT_MAX_PPB + 1)), -EINVAL);
    assert_eq!(err(t.set_stale_factor(0)), -EINVAL);
    t.set_drift(DRIFT_KERNEL_PPB).unwrap();
    assert_eq!(t.now_at(sync + ns + S).unwrap().bound_ns, 1_500_000 + 500_000);
    t.set_stale_factor(1).unwrap();
    let x = t.now_at(sync + ns + 17 * S).unwrap();
    assert_eq!((x.status, x.flags & TIME_STALE), (CLOCK_FREE_RUNNING, TIME_STALE));

    // A step after the sync update: cooldown, then still disrupted, unbounded.
    r.update(|r| {
        r.h64(H_DISRUPT_MONO).store(sync + 2 * S, Relaxed);
        r.h32(H_DISRUPT_TYPE).store(EVENT_CLOCK_STEP, Relaxed);
    });
    t.set_stale_factor(100).unwrap();
    let x = t.now_at(sync + ns + 3 * S).unwrap();
    assert_eq!((x.status, x.flags), (CLOCK_DISRUPTED, TIME_COOLDOWN | TIME_UNBOUNDED));
    let x = t.now_at(sync + ns + 30 * S).unwrap();
    assert_eq!((x.status, x.flags), (CLOCK_DISRUPTED, TIME_UNBOUNDED));
    // ... but a leap second leaves the measured error as it was.
    r.update(|r| r.h32(H_DISRUPT_TYPE).store(EVENT_LEAP_APPLIED, Relaxed));
    let x = t.now_at(sync + ns + 30 * S).unwrap();
    assert_eq!((x.status, x.flags), (CLOCK_SYNCHRONIZED, 0));

    // maxerror 0 with no budget: disciplined, error unknown.
    r.update(|r| r.h64(H_SYNC_MAXERROR).store(SYNC_ERROR_UNKNOWN, Relaxed));
    let x = t.now_at(sync + ns + 30 * S).unwrap();
    assert_eq!((x.status, x.flags), (CLOCK_UNKNOWN, TIME_NO_ERROR | TIME_UNBOUNDED));
}

#[test]
fn forward_clock_never_goes_back() {
    let r = Region::new("forward", 8);
    r.synced(mono_now(), 1000);
    let t = open(&r);
    let f = Forward::new();
    let a = t.forward_now(&f).unwrap();
    assert_eq!(a.flags & TIME_HELD, 0);
    assert_eq!(f.last_ns(), a.real_ns);

    // REALTIME stepped back 10 s: time stands still at the last value.
    r.update(|r| {
        let o = r.h64(H_OFFS_REAL);
        o.store(o.load(Relaxed) - 10 * S, Relaxed);
    });
    let b = t.forward_now(&f).unwrap();
    assert_eq!(b.real_ns, a.real_ns);
    assert_ne!(b.flags & TIME_HELD, 0);
    assert!(b.held_ns > 9 * S && b.held_ns <= 10 * S, "held {}", b.held_ns);
    let plain = t.now().unwrap();
    assert!(plain.real_ns < b.real_ns, "now() itself goes back");
    // A separate state is an independent clock.
    let other = Forward::new();
    assert_eq!(t.forward_now(&other).unwrap().flags & TIME_HELD, 0);

    // One state shared by threads while the clock jumps back and forth:
    // each thread's times never decrease.
    r.update(|r| {
        let o = r.h64(H_OFFS_REAL);
        o.store(o.load(Relaxed) + 10 * S, Relaxed);
    });
    static SHARED: Forward = Forward::new();
    let stop = AtomicBool::new(false);
    let max_seen = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut back = true;
            while !stop.load(Relaxed) {
                r.update(|r| {
                    let o = r.h64(H_OFFS_REAL);
                    let v = o.load(Relaxed);
                    o.store(if back { v - S / 100 } else { v + S / 100 }, Relaxed);
                });
                back = !back;
                std::thread::sleep(Duration::from_micros(50));
            }
        });
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut last = 0u64;
                    let mut held = 0u64;
                    for _ in 0..200_000 {
                        let x = t.forward_now(&SHARED).unwrap();
                        assert!(x.real_ns >= last, "went back: {} < {}", x.real_ns, last);
                        if x.flags & TIME_HELD != 0 {
                            held += 1;
                        }
                        last = x.real_ns;
                    }
                    max_seen.fetch_max(last, Relaxed);
                    held
                })
            })
            .collect();
        let held: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
        stop.store(true, Relaxed);
        eprintln!("forward: {} of 600000 reads held", held);
    });
    assert!(SHARED.last_ns() >= max_seen.load(Relaxed));
}

/// The seqlock under a writer that never stops: no torn health copy, no
/// torn record, and sequence numbers plus lost counts cover the ring.
#[test]
fn consistent_under_a_writer() {
    let r = Region::new("race", 16);
    let t = open(&r);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut v = 1u64;
            while !stop.load(Relaxed) {
                r.update(|r| {
                    for off in (8..H_BODY_SEQ).step_by(8) {
                        r.h64(off).store(v, Relaxed);
                    }
                });
                r.push(EVENT_RESUME, v, v, [v, v, v, v]);
                v += 1;
                // Paced, so that readers get through as well as collide.
                for _ in 0..2000 {
                    std::hint::spin_loop();
                }
            }
        });
        let reader = s.spawn(|| {
            let deadline = Instant::now() + Duration::from_millis(300);
            let mut c = t.cursor_init(Whence::Oldest, 0).unwrap();
            let (mut expect, mut copies, mut recs, mut lost) = (c.next(), 0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                if let Ok(h) = t.health() {
                    let w: Vec<u64> =
                        h.as_bytes()[8..1208].chunks(8).map(|b| u64::from_ne_bytes(b.try_into().unwrap())).collect();
                    assert!(w.iter().all(|&x| x == w[0]), "torn health copy");
                    assert_eq!(h.seq % 2, 0);
                    copies += 1;
                }
                for _ in 0..4 {
                    match t.next(&mut c) {
                        Ok(rec) => {
                            assert_eq!(rec.seq, expect, "a gap in the sequence");
                            if rec.r#type == EVENT_LOST {
                                lost += rec.lost().unwrap().count;
                                expect += rec.lost().unwrap().count;
                            } else {
                                let p = rec.raw();
                                assert!(p.iter().all(|&x| x == rec.mono_ns), "torn record");
                                recs += 1;
                                expect += 1;
                            }
                            assert_eq!(c.next(), expect);
                        }
                        Err(e) => assert_eq!(e.errno(), -EAGAIN),
                    }
                }
            }
            (copies, recs, lost)
        });
        let (copies, recs, lost) = reader.join().unwrap();
        stop.store(true, Relaxed);
        eprintln!("race: {} health copies, {} records, {} lost", copies, recs, lost);
        assert!(copies > 0 && recs > 0);
    });
}
