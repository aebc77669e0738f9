//! What the fan-out bench reads from and asks of the operating system: open-file limits,
//! a process's resident memory, the kernel's TCP memory, and SIGTERM.

use std::path::Path;

use anyhow::Context;

/// Raises this process's open-file soft limit to its hard limit (children inherit it) and
/// returns the new soft limit. Ten thousand sockets need more than the usual 1,024.
pub fn raise_open_files() -> anyhow::Result<u64> {
    crate::ws::fd_limit::raise_open_files().context("raising RLIMIT_NOFILE")
}

/// The resident set size of a process in bytes, from `/proc/PID/status` (`VmRSS`).
pub fn resident_bytes(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    kilobytes_field(&status, "VmRSS:")
        .map(|kb| kb * 1024)
        .with_context(|| format!("no VmRSS line in {path}"))
}

/// The pages the kernel has charged to TCP socket buffers, from `/proc/net/sockstat`
/// (`TCP: ... mem N`), in bytes. Process RSS does not include them.
pub fn tcp_buffer_bytes() -> anyhow::Result<u64> {
    let path = Path::new("/proc/net/sockstat");
    let text = std::fs::read_to_string(path).context("reading /proc/net/sockstat")?;
    let pages = text
        .lines()
        .find(|line| line.starts_with("TCP:"))
        .and_then(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = fields.iter().position(|f| *f == "mem")?;
            fields.get(at + 1)?.parse::<u64>().ok()
        })
        .context("no TCP mem figure in /proc/net/sockstat")?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    Ok(pages * page)
}

/// The CPU time a process has used so far (user plus system), from `/proc/PID/stat`.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let ticks = cpu_ticks(&stat).with_context(|| format!("no CPU times in {path}"))?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok(ticks as f64 / per_second)
}

/// utime + stime: fields 14 and 15, counted after the command name, which may hold
/// spaces and parentheses and so ends at the last ')'.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Asks a process to stop the way an operator's `kill` does.
pub fn terminate(pid: u32) -> anyhow::Result<()> {
    let pid = libc::pid_t::try_from(pid).context("a process id out of range")?;
    // SAFETY: kill only sends a signal; the pid is our own child's.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(std::io::Error::last_os_error()).context("sending SIGTERM");
    }
    Ok(())
}

fn kilobytes_field(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_size_is_read_in_kilobytes() {
        let status = "Name:\tqingfeng\nVmPeak:\t  9000 kB\nVmRSS:\t   123456 kB\n";
        assert_eq!(kilobytes_field(status, "VmRSS:"), Some(123_456));
        assert_eq!(kilobytes_field(status, "VmSwap:"), None);
    }

    #[test]
    fn cpu_ticks_are_user_plus_system() {
        let stat = "42 (tokio (x)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0";
        assert_eq!(cpu_ticks(stat), Some(300));
    }

    #[test]
    fn this_process_has_a_resident_size() {
        assert!(resident_bytes(std::process::id()).unwrap() > 0);
    }
}
