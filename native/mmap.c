// logkv's optional mmap addon: maps a sealed segment file read-only so a get
// reads its record from memory instead of with a pread (issue 16; the reasons
// for an addon of our own are in docs/DESIGN-read-path.md). Two functions:
//
//   map(fd, length) -> ArrayBuffer over the file's first `length` bytes
//   unmap(arrayBuffer) -> detaches it; the pages are unmapped at once
//
// Sizes are int64, not C int, so files over 2 GiB map. The ArrayBuffer is
// the only JavaScript object that owns the mapping: unmap() detaches it, so
// every view over it reads as empty afterwards and no JavaScript can touch
// unmapped pages. A mapping never unmapped explicitly is unmapped when the
// ArrayBuffer is collected.

#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
  void* addr;
  size_t length;
} mapping;

static void release(mapping* m) {
  if (m->addr != NULL) munmap(m->addr, m->length);
  m->addr = NULL;
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)data;
  mapping* m = hint;
  release(m);
  free(m);
}

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, err == ENOMEM ? "ENOMEM" : code, message);
  return NULL;
}

static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "map(fd, length)");
    return NULL;
  }
  int64_t fd = -1;
  int64_t length = -1;
  if (napi_get_value_int64(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok || fd < 0 ||
      length <= 0) {
    napi_throw_range_error(env, NULL, "map(fd, length): a file descriptor and a positive length");
    return NULL;
  }
  void* addr = mmap(NULL, (size_t)length, PROT_READ, MAP_SHARED, (int)fd, 0);
  if (addr == MAP_FAILED) return throw_errno(env, "mmap", errno);
  // Gets read records at random: read-ahead around each would only evict other pages.
  madvise(addr, (size_t)length, MADV_RANDOM);
  mapping* m = malloc(sizeof *m);
  if (m == NULL) {
    munmap(addr, (size_t)length);
    return throw_errno(env, "malloc", ENOMEM);
  }
  m->addr = addr;
  m->length = (size_t)length;
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, addr, (size_t)length, finalize, m, &buffer) != napi_ok) {
    release(m);
    free(m);
    napi_throw_error(env, NULL, "napi_create_external_arraybuffer failed");
    return NULL;
  }
  return buffer;
}

static napi_value unmap_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "unmap(arrayBuffer)");
    return NULL;
  }
  bool detached = false;
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  if (!detached && napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    napi_throw_error(env, NULL, "unmap(): the ArrayBuffer cannot be detached");
    return NULL;
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"map", NULL, map_file, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, unmap_file, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
