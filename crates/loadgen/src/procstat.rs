//! The server process as Linux sees it: resident memory (`VmRSS`, and the
//! peak `VmHWM`) from `/proc/<pid>/status`, CPU time (`utime + stime`) from
//! `/proc/<pid>/stat`.

use crate::error::LoadError;

/// Resident memory now and at its peak, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory(pid: u32) -> Result<Memory, LoadError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| LoadError::io(format!("read /proc/{pid}/status"), e))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    })
}

/// CPU time the process has used (user + system), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Result<u64, LoadError> {
    ticks_in(&format!("/proc/{pid}/stat"))
}

/// CPU time the calling thread has used, in clock ticks.
pub fn thread_cpu_ticks() -> Result<u64, LoadError> {
    ticks_in("/proc/thread-self/stat")
}

fn ticks_in(path: &str) -> Result<u64, LoadError> {
    let stat =
        std::fs::read_to_string(path).map_err(|e| LoadError::io(format!("read {path}"), e))?;
    // The command name may hold spaces and parentheses: fields start after
    // the last ')'. utime and stime are fields 14 and 15 (1-based), i.e.
    // the 12th and 13th after the name.
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| LoadError::setup("unreadable /proc stat"))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Ok(tick(11) + tick(12))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we run on).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// The machine, for the report: cores, CPU model, load averages.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {model}, load average {}", load())
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        let m = memory(pid).unwrap();
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
        cpu_ticks(pid).unwrap();
    }
}
