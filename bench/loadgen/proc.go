package main

import (
	"os"
	"strconv"
	"strings"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, 100
// on every Linux architecture Go runs on (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// usage is what treeUsage sums.
type usage struct {
	user, sys float64 // CPU seconds: utime, stime
	rssKB     int64
	procs     int
}

// treeUsage sums, over each root and all its descendants, the CPU time
// spent so far (utime and stime, seconds) and the resident memory (VmRSS,
// KB; forked workers' shared pages are counted in each, as top shows
// them). procs is how many processes were found.
func treeUsage(roots []int) (u usage) {
	if len(roots) == 0 {
		return u
	}
	children := map[int][]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return u
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	seen := map[int]bool{}
	stack := append([]int(nil), roots...)
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		f := statFields(pid)
		if len(f) < 13 {
			continue
		}
		u.procs++
		// f[0] is field 3 of stat(5) (state): utime is field 14, stime 15.
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		u.user += float64(ut) / userHZ
		u.sys += float64(st) / userHZ
		u.rssKB += vmRSS(pid)
		stack = append(stack, children[pid]...)
	}
	return u
}

// statFields returns /proc/PID/stat's fields after the command name
// (which may hold spaces and parentheses), starting at the state.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return nil
	}
	return strings.Fields(s[i+2:])
}

func vmRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
