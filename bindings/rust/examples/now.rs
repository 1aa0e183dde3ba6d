// SPDX-License-Identifier: LGPL-2.1-or-later
//! now [PATH] - the bounded clock and the ring, in five lines (the README's
//! "Use from Rust").

fn main() -> Result<(), tsmon::Error> {
    let t = tsmon::Tsmon::open(std::env::args_os().nth(1).as_deref().map(std::path::Path::new))?;
    let now = t.now()?;
    println!("real_ns {} bound_ns {} status {} flags {:#x}", now.real_ns, now.bound_ns, now.status, now.flags);
    let mut c = t.cursor_init(tsmon::Whence::Oldest, 0)?;
    while let Ok(r) = t.next(&mut c) { println!("{} {} {:?}", r.seq, r.type_name().unwrap_or("?"), r.step().map(|s| s.delta_ns as i64)); }
    Ok(())
}
