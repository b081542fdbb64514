// logkv's optional sync-thread addon: a thread of the store's own that runs
// the fdatasyncs of group commit, asking the kernel for a short time slice.
//
//   open() -> handle for a new thread
//   fdatasync(handle, fd) -> Promise, settled once fdatasync(fd) returned
//     (rejected with an Error carrying Node's code, errno and syscall)
//   close(handle) -> the thread ends after the syncs queued before; joined
//
// Why not libuv's thread pool (issue 17): with the JavaScript thread busy
// and V8's helper threads runnable, a pool thread woken for a sync waited
// 2-17 ms for a CPU on this 2-core machine before it even issued the write
// (block-layer and scheduler traces), while the device took under 0.3 ms.
// Linux's EEVDF scheduler (6.6+) picks the runnable thread with the
// earliest virtual deadline, and a thread that asks for a shorter slice
// (sched_attr.sched_runtime, honoured for normal threads since 6.12) gets
// earlier deadlines and may preempt on wake-up. It does not raise the
// thread's share of CPU (its nice value is kept), and needs no privilege.
// A kernel that refuses the request runs the thread as any other.

#define NAPI_VERSION 8
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

// The slice asked for: the kernel's floor (0.1 ms). A sync's own CPU work is
// a few microseconds either side of the wait in the kernel.
#define SYNC_SLICE_NS 100000ULL

typedef struct request {
  struct request* next;
  int fd;
  int err;
  napi_deferred deferred;
} request;

typedef struct {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  request* head;
  request* tail;
  bool stopping;
  bool running;
  napi_threadsafe_function done;
  napi_env env;
  // Requests handed out and not yet settled; only the JavaScript thread touches it.
  uint32_t pending;
  // 0 when the kernel took the short slice, else its errno; -1 until the thread has asked.
  int slice_error;
} sync_thread;

static const napi_type_tag THREAD_TAG = {0x6c6f676b76a11e02ULL, 0x73796e6374687264ULL};

// glibc has no wrapper for sched_setattr; this is the kernel's struct (SCHED_ATTR_SIZE_VER0).
struct kernel_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static int ask_for_short_slice(void) {
#ifdef SYS_sched_setattr
  struct kernel_sched_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.sched_policy = SCHED_OTHER;
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);  // this thread's, on Linux
  if (errno != 0) return errno;
  attr.sched_nice = nice;
  attr.sched_runtime = SYNC_SLICE_NS;
  return syscall(SYS_sched_setattr, 0, &attr, 0) == 0 ? 0 : errno;
#else
  return ENOSYS;
#endif
}

static void* thread_main(void* arg) {
  sync_thread* t = arg;
  pthread_setname_np(pthread_self(), "logkv-sync");
  int slice_error = ask_for_short_slice();
  pthread_mutex_lock(&t->lock);
  t->slice_error = slice_error;
  for (;;) {
    while (t->head == NULL && !t->stopping) pthread_cond_wait(&t->wake, &t->lock);
    request* r = t->head;
    if (r == NULL) break;  // stopping, and nothing queued
    t->head = r->next;
    if (t->head == NULL) t->tail = NULL;
    pthread_mutex_unlock(&t->lock);
    r->err = fdatasync(r->fd) == 0 ? 0 : errno;
    // The queue is unbounded, so a blocking call never waits. Refused only
    // while the environment is torn down (a worker thread ending), when no
    // promise can be settled any more.
    if (napi_call_threadsafe_function(t->done, r, napi_tsfn_blocking) != napi_ok) free(r);
    pthread_mutex_lock(&t->lock);
  }
  pthread_mutex_unlock(&t->lock);
  napi_release_threadsafe_function(t->done, napi_tsfn_release);
  return NULL;
}

static napi_value errno_error(napi_env env, int err) {
  const char* name = strerrorname_np(err);
  char code[32];
  if (name == NULL) snprintf(code, sizeof code, "E%d", err);
  char message[256];
  snprintf(message, sizeof message, "%s: %s, fdatasync", name ? name : code, strerror(err));
  napi_value msg, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_string_utf8(env, name ? name : code, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, "fdatasync", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  return error;
}

// Runs on the JavaScript thread for each finished sync.
static void settle(napi_env env, napi_value js_cb, void* context, void* data) {
  (void)js_cb;
  sync_thread* t = context;
  request* r = data;
  if (env != NULL) {
    if (r->err == 0) {
      napi_value undefined;
      napi_get_undefined(env, &undefined);
      napi_resolve_deferred(env, r->deferred, undefined);
    } else {
      napi_reject_deferred(env, r->deferred, errno_error(env, r->err));
    }
    // An idle thread does not keep the process alive.
    if (--t->pending == 0) napi_unref_threadsafe_function(env, t->done);
  }
  free(r);
}

static void stop_and_join(sync_thread* t) {
  if (!t->running) return;
  pthread_mutex_lock(&t->lock);
  t->stopping = true;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  pthread_join(t->thread, NULL);
  t->running = false;
}

static void cleanup_hook(void* arg) { stop_and_join(arg); }

static void finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  sync_thread* t = data;
  stop_and_join(t);
  napi_remove_env_cleanup_hook(env, cleanup_hook, t);
  pthread_cond_destroy(&t->wake);
  pthread_mutex_destroy(&t->lock);
  free(t);
}

static sync_thread* thread_of(napi_env env, napi_value handle) {
  bool ours = false;
  void* data = NULL;
  if (napi_check_object_type_tag(env, handle, &THREAD_TAG, &ours) != napi_ok || !ours || napi_get_value_external(env, handle, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a sync thread made by open()");
    return NULL;
  }
  return data;
}

static napi_value open_thread(napi_env env, napi_callback_info info) {
  (void)info;
  sync_thread* t = calloc(1, sizeof *t);
  if (t == NULL) {
    napi_throw_error(env, "ENOMEM", "open(): out of memory");
    return NULL;
  }
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->wake, NULL);
  t->env = env;
  t->slice_error = -1;
  napi_value name;
  napi_create_string_utf8(env, "logkv fdatasync", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, t, settle, &t->done) != napi_ok) {
    free(t);
    napi_throw_error(env, NULL, "open(): napi_create_threadsafe_function failed");
    return NULL;
  }
  napi_unref_threadsafe_function(env, t->done);
  int err = pthread_create(&t->thread, NULL, thread_main, t);
  if (err != 0) {
    napi_release_threadsafe_function(t->done, napi_tsfn_abort);
    free(t);
    napi_throw_error(env, NULL, "open(): pthread_create failed");
    return NULL;
  }
  t->running = true;
  napi_value handle;
  napi_create_external(env, t, finalize, NULL, &handle);
  napi_type_tag_object(env, handle, &THREAD_TAG);
  napi_add_env_cleanup_hook(env, cleanup_hook, t);
  return handle;
}

static napi_value queue_sync(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "fdatasync(handle, fd)");
    return NULL;
  }
  sync_thread* t = thread_of(env, argv[0]);
  if (t == NULL) return NULL;
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || fd < 0) {
    napi_throw_range_error(env, NULL, "fdatasync(handle, fd): a file descriptor");
    return NULL;
  }
  if (!t->running) {
    napi_throw_error(env, NULL, "fdatasync(): the sync thread was closed");
    return NULL;
  }
  request* r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, "ENOMEM", "fdatasync(): out of memory");
    return NULL;
  }
  r->fd = fd;
  napi_value promise;
  napi_create_promise(env, &r->deferred, &promise);
  if (t->pending++ == 0) napi_ref_threadsafe_function(env, t->done);
  pthread_mutex_lock(&t->lock);
  if (t->tail != NULL) t->tail->next = r;
  else t->head = r;
  t->tail = r;
  pthread_mutex_unlock(&t->lock);
  // Signalled after the unlock: a thread woken while the lock is still held
  // here runs, finds it taken and sleeps again, and its second wake-up came
  // late (it queued behind this thread instead of taking the idle core).
  pthread_cond_signal(&t->wake);
  return promise;
}

/** The sync thread a call's one argument names, or NULL with an error thrown (`usage`: the call's shape). */
static sync_thread* only_thread_arg(napi_env env, napi_callback_info info, const char* usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return thread_of(env, argv[0]);
}

static napi_value close_thread(napi_env env, napi_callback_info info) {
  sync_thread* t = only_thread_arg(env, info, "close(handle)");
  if (t != NULL) stop_and_join(t);
  return NULL;
}

static napi_value slice_error(napi_env env, napi_callback_info info) {
  sync_thread* t = only_thread_arg(env, info, "sliceError(handle)");
  if (t == NULL) return NULL;
  pthread_mutex_lock(&t->lock);
  int err = t->slice_error;
  pthread_mutex_unlock(&t->lock);
  napi_value result;
  napi_create_int32(env, err, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"open", NULL, open_thread, NULL, NULL, NULL, napi_default, NULL},
      {"fdatasync", NULL, queue_sync, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_thread, NULL, NULL, NULL, napi_default, NULL},
      {"sliceError", NULL, slice_error, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
