{
  "targets": [
    {
      "target_name": "msc4016_cipher",
      "sources": ["msc4016_cipher.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra"],
      "conditions": [
        [
          "OS=='linux'",
          {
            "ldflags": ["-Wl,-z,now"]
          }
        ]
      ]
    }
  ]
}
