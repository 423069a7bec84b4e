"""Git smart protocol (git://): git daemon; clone (v0 and v2), shallow clone, ls-remote, push."""

import os
import shutil

from .core import cmd, deb_version

NAME = "git"
PREFIXES = ("git",)
MODES = ("random", "iana")

GIT = deb_version("git")


def run(ctx):
    d = ctx.tmp("git")
    work = os.path.join(d, "work")
    if not os.path.exists(work):
        env = {"GIT_AUTHOR_NAME": "portlens", "GIT_AUTHOR_EMAIL": "corpus@portlens.test",
               "GIT_COMMITTER_NAME": "portlens", "GIT_COMMITTER_EMAIL": "corpus@portlens.test",
               "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
        ctx.run(["git", "init", "-q", "-b", "main", work])
        for i in range(3):
            ctx.write(os.path.join(work, f"file{i}.txt"), f"portlens corpus file {i}\n" * 20)
            ctx.run(["git", "-C", work, "add", "."], env=env)
            ctx.run(["git", "-C", work, "commit", "-q", "-m", f"commit {i}"], env=env)
        ctx.run(["git", "clone", "-q", "--bare", work, os.path.join(d, "repos", "corpus.git")])
        ctx.run(["git", "-C", os.path.join(d, "repos", "corpus.git"), "config", "daemon.receivepack", "true"])
    port = ctx.port(9418)
    srv = ctx.start("git-daemon", ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                                   f"--base-path={d}/repos", "--listen=127.0.0.1", f"--port={port}",
                                   f"{d}/repos"], wait=("tcp", port))
    url = f"git://127.0.0.1:{port}/corpus.git"
    dest = lambda n: os.path.join(d, f"clone-{ctx.mode}-{n}")
    cases = [
        ("clone-depth1-v2", ["git", "clone", "-q", "--depth", "1", url, dest(1)]),
        ("clone-v0", ["git", "-c", "protocol.version=0", "clone", "-q", url, dest(2)]),
        ("ls-remote-v2", ["git", "ls-remote", url]),
        ("push-v0", ["git", "-C", dest(2), "push", "-q", url, "main:refs/heads/corpus-" + ctx.mode]),
    ]
    for variant, argv in cases:
        with ctx.capture("git") as cap:
            cap.expect("tcp", port, "git", variant=variant, server=("git-daemon", GIT), client=f"git {GIT}",
                       how=f"{cmd(argv)} against git daemon")
            cap.start()
            ctx.run(argv, env={"GIT_AUTHOR_NAME": "p", "GIT_COMMITTER_NAME": "p"})
    ctx.stop(srv)
    for n in (1, 2):
        shutil.rmtree(dest(n), ignore_errors=True)
