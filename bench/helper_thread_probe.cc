// Does a helper thread started for a few milliseconds of work actually run beside its creator?
// Two threads split 8 ms of work (80 chunks of 100 us, taken from a shared counter) after 1.7 ms
// of setup on the main thread; the figure is the mean wall time over 40 rounds, each after an
// idle pause. Ideal: 1.7 + 4 = 5.7 ms; one core: 9.7 ms.
//
//   g++ -O2 -pthread bench/helper_thread_probe.cc src/util/thread.cc -Isrc -o /tmp/probe && /tmp/probe
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <thread>

#include "util/thread.h"

using Clock = std::chrono::steady_clock;

static void Spin(int us) {
  auto end = Clock::now() + std::chrono::microseconds(us);
  while (Clock::now() < end) {
  }
}

static double Round(bool beside) {
  auto t0 = Clock::now();
  std::atomic<int> next{0};
  auto work = [&] {
    while (next.fetch_add(1) < 80) Spin(100);
  };
  Spin(1700);  // setup
  std::thread helper(work);
  if (beside) custodian::RunBeside(helper);
  work();
  helper.join();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int main() {
  for (bool beside : {false, true, false, true}) {
    double total = 0;
    for (int i = 0; i < 40; i++) {
      usleep(3000 + (i * 337) % 4000);
      total += Round(beside);
    }
    std::printf("%-28s mean wall %.2f ms (ideal 5.7, one core 9.7)\n",
                beside ? "helper kept off our CPU:" : "helper placed by the kernel:", total / 40);
  }
}
