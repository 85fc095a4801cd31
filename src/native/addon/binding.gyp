{
  "targets": [
    {
      "target_name": "fmalab_kernels",
      "sources": ["fmalab_kernels.cc"],
      "cflags_cc": ["-O3", "-std=c++17"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] },
      "conditions": [["OS=='linux'", { "libraries": ["-lpthread"] }]]
    }
  ]
}
