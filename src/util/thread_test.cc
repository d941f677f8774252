#include "util/thread.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>

namespace custodian {

TEST(RunBesideTest, KeepsTheThreadOffTheCallersCpu) {
  cpu_set_t mine;
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof mine, &mine), 0);
  std::atomic<bool> go{false};
  std::atomic<int> ran_on{-1};
  std::thread t([&] {
    while (!go.load()) std::this_thread::yield();
    ran_on = sched_getcpu();
  });
  int avoided = RunBeside(t);
  cpu_set_t theirs;
  int got = pthread_getaffinity_np(t.native_handle(), sizeof theirs, &theirs);
  go = true;
  t.join();
  ASSERT_EQ(got, 0);
  if (CPU_COUNT(&mine) < 2) {
    EXPECT_EQ(avoided, -1);  // nowhere else to go: left alone
    EXPECT_TRUE(CPU_EQUAL(&mine, &theirs));
    GTEST_SKIP() << "one CPU allowed: nothing to keep the thread off";
  }
  ASSERT_GE(avoided, 0);
  EXPECT_TRUE(CPU_ISSET(avoided, &mine));
  EXPECT_FALSE(CPU_ISSET(avoided, &theirs));
  EXPECT_EQ(CPU_COUNT(&theirs), CPU_COUNT(&mine) - 1);
  EXPECT_NE(ran_on.load(), avoided);
}

}  // namespace custodian
