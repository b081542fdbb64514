{
  "targets": [
    {
      "target_name": "logkv_mmap",
      "sources": ["mmap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
