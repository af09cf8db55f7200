// Go peer of the workload programs (bench/w*.cpp, bench/python/w*.py): goroutines,
// sync.WaitGroup, channels, time.Sleep/timers, context cancellation.
//
//	usage: peer WORKLOAD N [--seed S] [--variant event|queue]
//
// WORKLOAD is W1 W2 W3 W3s W4 W5 W6 (W6q / W6e also accepted). Prints one JSON line of
// the same shape as bench/python/common.py. The scheduler uses GOMAXPROCS from the
// environment (default: the number of CPUs). Standard library only.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type out map[string]any

// mulberry32: the suite's PRNG (bench/common.hpp).
type mulberry32 struct{ a uint32 }

func (m *mulberry32) next() uint32 {
	m.a += 0x6D2B79F5
	t := (m.a ^ (m.a >> 15)) * (m.a | 1)
	t = (t + ((t ^ (t >> 7)) * (t | 61))) ^ t
	return t ^ (t >> 14)
}

func (m *mulberry32) below(bound uint32) uint32 {
	return uint32((uint64(m.next()) * uint64(bound)) >> 32)
}

func durationsUs(n int, maxUs uint32, seed uint32) []uint32 {
	g := mulberry32{seed}
	d := make([]uint32, n)
	for i := range d {
		d[i] = g.below(maxUs)
	}
	return d
}

func permutation(n int, seed uint32) []int {
	g := mulberry32{seed}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(g.below(uint32(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func since(t0 time.Time) float64 { return float64(time.Since(t0).Nanoseconds()) }

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func peakRssMiB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024.0 // KiB on Linux
}

func currentRssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func check(ok bool, what string) {
	if !ok {
		fmt.Fprintln(os.Stderr, "check failed:", what)
		os.Exit(1)
	}
}

// ------------------------------------------------------------------------------ W1
func w1(n int, r out) {
	t0 := time.Now()
	res := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			res[i] = i
			wg.Done()
		}(i)
	}
	wg.Wait()
	dt := since(t0)
	sum := 0
	for _, v := range res {
		sum += v
	}
	check(sum == n*(n-1)/2, "W1 sum")
	r["value"], r["total_ms"] = dt/float64(n), dt/1e6
}

// ------------------------------------------------------------------------------ W2
func w2(n int, seed uint32, r out) {
	d := durationsUs(n, 10_000, seed)
	a, b := n/3, 2*n/3
	res := make([]uint32, n)
	t0 := time.Now()
	var outer sync.WaitGroup
	for _, g := range [][2]int{{0, a}, {a, b}, {b, n}} {
		outer.Add(1)
		go func(lo, hi int) { // the inner gather
			var inner sync.WaitGroup
			inner.Add(hi - lo)
			for i := lo; i < hi; i++ {
				go func(i int) {
					time.Sleep(time.Duration(d[i]) * time.Microsecond)
					res[i] = d[i]
					inner.Done()
				}(i)
			}
			inner.Wait()
			outer.Done()
		}(g[0], g[1])
	}
	outer.Wait()
	wallMs := since(t0) / 1e6
	maxUs := uint32(0)
	for i := range d {
		check(res[i] == d[i], "W2 results")
		if d[i] > maxUs {
			maxUs = d[i]
		}
	}
	r["value"], r["wall_ms"], r["max_sleep_ms"] = wallMs-10.0, wallMs, float64(maxUs)/1e3
}

// ------------------------------------------------------------------------------ W3, W3s
// wait(pending, FIRST_COMPLETED) in Go: a select over every pending task's done channel
// (reflect.Select, since the set is dynamic), then a sweep of pending for the finished ones.
type task struct {
	done chan struct{} // closed when the task finishes
	val  int
}

func finished(t *task) bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func waitFirst(pending []*task, cases []reflect.SelectCase) (done, still []*task) {
	cases = cases[:0]
	for _, t := range pending {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(t.done)})
	}
	reflect.Select(cases)
	still = make([]*task, 0, len(pending))
	for _, t := range pending {
		if finished(t) {
			done = append(done, t)
		} else {
			still = append(still, t)
		}
	}
	return done, still
}

func w3(n int, seed uint32, r out) {
	d := durationsUs(n, 50_000, seed)
	t0 := time.Now()
	pending := make([]*task, n)
	for i := range pending {
		t := &task{done: make(chan struct{})}
		pending[i] = t
		go func(us uint32) {
			time.Sleep(time.Duration(us) * time.Microsecond)
			t.val = int(us)
			close(t.done)
		}(d[i])
	}
	var cases []reflect.SelectCase
	iters, scanned, ndone := 0, 0, 0
	for len(pending) > 0 {
		scanned += len(pending)
		var done []*task
		done, pending = waitFirst(pending, cases)
		ndone += len(done)
		iters++
	}
	dt := since(t0)
	check(ndone == n, "W3 completions")
	r["value"], r["iters"], r["scanned"] = dt/1e6, iters, scanned
}

func w3s(n int, seed uint32, r out) {
	order := permutation(n, seed)
	gates := make([]chan int, n)
	for i := range gates {
		gates[i] = make(chan int, 1)
	}
	t0, c0 := time.Now(), cpuNs()
	pending := make([]*task, n)
	for i := range pending {
		t := &task{done: make(chan struct{})}
		pending[i] = t
		go func(i int) {
			t.val = <-gates[i]
			close(t.done)
		}(i)
	}
	runtime.Gosched()
	var cases []reflect.SelectCase
	scanned := 0
	for _, g := range order {
		gates[g] <- g
		scanned += len(pending)
		var done []*task
		done, pending = waitFirst(pending, cases)
		check(len(done) == 1 && done[0].val == g, "W3s one completion per wait")
	}
	dt, cpu := since(t0), float64(cpuNs()-c0)
	check(len(pending) == 0, "W3s drained")
	r["value"], r["cpu_ms"], r["iters"], r["scanned"] = dt/1e6, cpu/1e6, n, scanned
}

// ------------------------------------------------------------------------------ W4
// "Cancel the gather": the tasks share one context; cancelling it stops every 1 h timer.
func w4(n int, r out) {
	ctx, cancel := context.WithCancel(context.Background())
	var started, cancelled atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			t := time.NewTimer(time.Hour)
			started.Add(1)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				cancelled.Add(1)
			}
			wg.Done()
		}()
	}
	for started.Load() < int64(n) {
		runtime.Gosched()
	}
	t0 := time.Now()
	cancel()
	wg.Wait()
	dt := since(t0)
	check(cancelled.Load() == int64(n), "W4 every task cancelled")
	r["value"], r["cancel_ms"] = dt/float64(n), dt/1e6
}

// ------------------------------------------------------------------------------ W5
func w5(n int, r out) {
	rss0 := currentRssBytes()
	t0 := time.Now()
	var started atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Add(1)
			time.Sleep(time.Second)
			wg.Done()
		}()
	}
	for started.Load() < int64(n) {
		runtime.Gosched()
	}
	runtime.Gosched() // the last ones reach their Sleep
	spawnMs := since(t0) / 1e6
	rss1 := currentRssBytes()
	wg.Wait()
	r["value"] = float64(rss1-rss0) / float64(n)
	r["rss_during_mib"], r["rss_base_mib"] = float64(rss1)/(1<<20), float64(rss0)/(1<<20)
	r["spawn_ms"], r["total_ms"] = spawnMs, since(t0)/1e6
}

// ------------------------------------------------------------------------------ W6
// Queue(maxsize=1) = a channel of capacity 1.
func w6q(n int, r out) {
	rounds := n / 2
	ab, ba := make(chan int, 1), make(chan int, 1)
	var v int
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	go func() { // ping
		for i := 0; i < rounds; i++ {
			ab <- i
			v = <-ba
		}
		wg.Done()
	}()
	go func() { // pong
		for i := 0; i < rounds; i++ {
			ba <- <-ab
		}
		wg.Done()
	}()
	wg.Wait()
	dt := since(t0)
	check(v == rounds-1, "W6q last token")
	r["value"] = dt / float64(2*rounds)
}

// event: asyncio.Event's semantics (set / clear / wait for the flag) on a sync.Cond.
type event struct {
	mu   sync.Mutex
	cond *sync.Cond
	flag bool
}

func newEvent() *event {
	e := &event{}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *event) set() {
	e.mu.Lock()
	if !e.flag {
		e.flag = true
		e.cond.Broadcast()
	}
	e.mu.Unlock()
}

func (e *event) clear() {
	e.mu.Lock()
	e.flag = false
	e.mu.Unlock()
}

func (e *event) wait() {
	e.mu.Lock()
	for !e.flag {
		e.cond.Wait()
	}
	e.mu.Unlock()
}

func w6e(n int, r out) {
	rounds := n / 2
	ea, eb := newEvent(), newEvent()
	count := 0
	var wg sync.WaitGroup
	wg.Add(2)
	t0 := time.Now()
	go func() { // ping
		for i := 0; i < rounds; i++ {
			eb.set()
			ea.wait()
			ea.clear()
			count++
		}
		wg.Done()
	}()
	go func() { // pong
		for i := 0; i < rounds; i++ {
			eb.wait()
			eb.clear()
			ea.set()
		}
		wg.Done()
	}()
	wg.Wait()
	dt := since(t0)
	check(count == rounds, "W6e rounds")
	r["value"] = dt / float64(2*rounds)
}

// ------------------------------------------------------------------------------ main
func main() {
	args := os.Args[1:]
	seed, variant := uint32(42), ""
	var pos []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--seed" && i+1 < len(args):
			s, _ := strconv.ParseUint(args[i+1], 10, 32)
			seed, i = uint32(s), i+1
		case args[i] == "--variant" && i+1 < len(args):
			variant, i = args[i+1], i+1
		default:
			pos = append(pos, args[i])
		}
	}
	if len(pos) != 2 {
		fmt.Fprintln(os.Stderr, "usage: peer WORKLOAD N [--seed S] [--variant event|queue]")
		os.Exit(2)
	}
	wl := pos[0]
	nf, err := strconv.ParseFloat(pos[1], 64)
	check(err == nil && nf >= 2, "N")
	n := int(nf)
	switch wl {
	case "W6q":
		wl, variant = "W6", "queue"
	case "W6e":
		wl, variant = "W6", "event"
	}
	metric := map[string]string{"W1": "ns_per_task", "W2": "ms_beyond_10ms", "W3": "total_ms",
		"W3s": "total_ms", "W4": "ns_per_task", "W5": "bytes_per_task", "W6": "ns_per_handoff"}[wl]
	if metric == "" {
		fmt.Fprintln(os.Stderr, "unknown workload", wl)
		os.Exit(2)
	}
	name := wl
	if wl == "W6" {
		if variant == "queue" {
			name = "W6q"
		} else {
			variant, name = "event", "W6e"
		}
	}
	r := out{}
	switch name {
	case "W1":
		w1(n, r)
	case "W2":
		w2(n, seed, r)
	case "W3":
		w3(n, seed, r)
	case "W3s":
		w3s(n, seed, r)
	case "W4":
		w4(n, r)
	case "W5":
		w5(n, r)
	case "W6q":
		w6q(n, r)
	case "W6e":
		w6e(n, r)
	}
	// Key order as in the Python twins: header, figures, peak RSS.
	keys := []string{"workload", "n", "impl", "metric"}
	r["workload"], r["n"], r["metric"] = name, n, metric
	r["impl"] = fmt.Sprintf("Go %s (GOMAXPROCS=%d)", strings.TrimPrefix(runtime.Version(), "go"),
		runtime.GOMAXPROCS(0))
	if wl == "W6" {
		r["variant"] = variant
	}
	r["peak_rss_mib"] = peakRssMiB()
	var sb strings.Builder
	sb.WriteString("{")
	emit := func(k string) {
		if sb.Len() > 1 {
			sb.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(r[k])
		sb.Write(kb)
		sb.WriteString(": ")
		sb.Write(vb)
	}
	for _, k := range keys {
		emit(k)
	}
	for _, k := range []string{"value", "total_ms", "wall_ms", "max_sleep_ms", "cpu_ms", "iters",
		"scanned", "cancel_ms", "rss_during_mib", "rss_base_mib", "spawn_ms", "variant"} {
		if _, ok := r[k]; ok {
			emit(k)
		}
	}
	emit("peak_rss_mib")
	sb.WriteString("}")
	fmt.Println(sb.String())
}
