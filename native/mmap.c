// logkv's optional mmap addon: maps a segment file read-only so that a get
// reads its record from memory instead of with a pread (issue 16; why an
// addon of our own: docs/DESIGN-read-path.md).
//
//   map(fd, length) -> handle for the file's first `length` bytes
//   unmap(handle) -> munmap now; the handle refuses reads afterwards
//   read(handle, position, target) -> copies the record at `position`
//     (target.length bytes) into `target` and checks its CRC-32C there:
//     true when it matches
//
// The mapped bytes never become a JavaScript ArrayBuffer: V8 counts every
// byte of one as external memory (a 128 MB map showed as +128 MB, which
// drives the collector, for memory that is only page cache), and a view
// that outlived munmap would read freed pages. A copy into a buffer the
// caller reuses costs less than any buffer made here (measured: a value
// Buffer made with napi_create_buffer_copy made a get ~40% slower).
//
// Sizes are int64, not C int: files over 2 GiB map.

#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// A record (formats/log_segment.ksy, type record) starts with its CRC-32C
// (u4, little-endian) of every byte after it.
#define RECORD_CRC_SIZE 4

typedef struct {
  uint8_t* addr;
  size_t length;
} mapping;

static const napi_type_tag MAPPING_TAG = {0x6c6f676b76a11e01ULL, 0x6d6d617070696e67ULL};

// ---- CRC-32C (Castagnoli, reflected 0x82F63B78), as src/checksum computes it.

static uint32_t crc_table[256];

static void crc_table_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    crc_table[i] = c;
  }
}

static uint32_t crc32c_table(uint32_t crc, const uint8_t* p, size_t n) {
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = (uint32_t)c;
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
static int have_sse42 = 0;
#endif

static uint32_t crc32c(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (have_sse42) return ~crc32c_sse42(~0u, p, n);
#endif
  return ~crc32c_table(~0u, p, n);
}

static uint32_t le32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// ---- helpers

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, err == ENOMEM ? "ENOMEM" : code, message);
  return NULL;
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  mapping* m = data;
  if (m->addr != NULL) munmap(m->addr, m->length);
  free(m);
}

/** The mapping behind args[0], or NULL with a TypeError thrown. */
static mapping* mapping_of(napi_env env, napi_value handle) {
  bool ours = false;
  void* data = NULL;
  if (napi_check_object_type_tag(env, handle, &MAPPING_TAG, &ours) != napi_ok || !ours || napi_get_value_external(env, handle, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "not a mapping made by map()");
    return NULL;
  }
  return data;
}

// ---- exports

static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd = -1;
  int64_t length = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_int64(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &length) != napi_ok || fd < 0 || length <= 0) {
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
  napi_value handle;
  if (napi_create_external(env, m, finalize, NULL, &handle) != napi_ok || napi_type_tag_object(env, handle, &MAPPING_TAG) != napi_ok) {
    munmap(addr, (size_t)length);
    free(m);
    napi_throw_error(env, NULL, "map(): napi_create_external failed");
    return NULL;
  }
  return handle;
}

static napi_value unmap_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, "unmap(handle)");
    return NULL;
  }
  mapping* m = mapping_of(env, argv[0]);
  if (m == NULL) return NULL;
  if (m->addr != NULL) munmap(m->addr, m->length);
  m->addr = NULL;
  return NULL;
}

static napi_value read_record(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t position = -1;
  void* data = NULL;
  size_t size = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "read(handle, position, target)");
    return NULL;
  }
  mapping* m = mapping_of(env, argv[0]);
  if (m == NULL) return NULL;
  if (m->addr == NULL) {
    napi_throw_error(env, NULL, "the mapping was unmapped");
    return NULL;
  }
  if (napi_get_value_int64(env, argv[1], &position) != napi_ok || napi_get_buffer_info(env, argv[2], &data, &size) != napi_ok || position < 0 ||
      size < RECORD_CRC_SIZE || (uint64_t)position + size > m->length) {
    napi_throw_range_error(env, NULL, "read(handle, position, target): a record inside the mapping");
    return NULL;
  }
  memcpy(data, m->addr + position, size);
  // Checked on the copy: what the caller goes on to read is what passed.
  const uint8_t* copy = data;
  napi_value result;
  napi_get_boolean(env, crc32c(copy + RECORD_CRC_SIZE, size - RECORD_CRC_SIZE) == le32(copy), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  crc_table_init();
#if defined(__x86_64__)
  __builtin_cpu_init();
  have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
  napi_property_descriptor fns[] = {
      {"map", NULL, map_file, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, unmap_file, NULL, NULL, NULL, napi_default, NULL},
      {"read", NULL, read_record, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
