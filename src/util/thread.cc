#include "util/thread.h"

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

namespace custodian {

int RunBeside(std::thread& t) {
#ifdef __linux__
  int here = sched_getcpu();
  cpu_set_t allowed;
  if (here < 0 || here >= CPU_SETSIZE || pthread_getaffinity_np(pthread_self(), sizeof allowed, &allowed) != 0) return -1;
  if (!CPU_ISSET(here, &allowed) || CPU_COUNT(&allowed) < 2) return -1;
  CPU_CLR(here, &allowed);
  if (pthread_setaffinity_np(t.native_handle(), sizeof allowed, &allowed) != 0) return -1;  // best effort
  return here;
#else
  (void)t;
  return -1;
#endif
}

}  // namespace custodian
