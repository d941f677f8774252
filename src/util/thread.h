// Threads that run beside their creator.
#pragma once

#include <thread>

namespace custodian {

// Keeps `t` off the CPU the calling thread is on now, when the process may use another one.
// Returns that CPU, or -1 when it changed nothing (one CPU allowed, or not Linux).
//
// A helper thread started for a few milliseconds of work is otherwise at the scheduler's mercy
// for where it first runs. On the 2-vCPU Firecracker VMs this project is built and measured on
// (kernel option sched_vcpu_pack), a new thread is put on its creator's vCPU and moved to the
// idle one only at a later scheduler tick (HZ=250: up to 4 ms). Two threads splitting 8 ms of
// work took about 9 ms instead of 5.9 (bench/helper_thread_probe.cc, bench/RESULTS.md). Call this
// right after creating the thread.
// Not for long-lived threads: a thread kept off a CPU cannot follow its creator there.
int RunBeside(std::thread& t);

}  // namespace custodian
