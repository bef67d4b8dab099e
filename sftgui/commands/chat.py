"""`sftgui generate|chat|vote`: talk to a language-model version, and vote blind between two."""

from __future__ import annotations

import sys

VERSION_HELP = "vN with --project, PROJECT@vN or PROJECT@ALIAS"


def _sampling_args(p) -> None:
    p.add_argument("--max-new-tokens", type=int, metavar="N", help="longest answer (default: the version's)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 (default) always picks the likeliest word")
    p.add_argument("--top-p", type=float, default=1.0, help="with a temperature: sample from this top share")
    p.add_argument("--system", metavar="TEXT", help="a system message before the conversation")


def register(sub) -> None:
    g = sub.add_parser("generate", help="a language-model version's answer to a prompt")
    g.add_argument("version", metavar="V", help=VERSION_HELP)
    g.add_argument("prompt", metavar="PROMPT")
    g.add_argument("--project", help="the project of a version written as vN")
    g.add_argument("--json", action="store_true", help="print JSON: {version, prompt, answer}")
    _sampling_args(g)
    g.set_defaults(func=_generate)

    c = sub.add_parser("chat", help="chat with a language-model version (type, Enter; an empty line or Ctrl+D ends)")
    c.add_argument("version", metavar="V", help=VERSION_HELP)
    c.add_argument("--project", help="the project of a version written as vN")
    _sampling_args(c)
    c.set_defaults(func=_chat)

    v = sub.add_parser("vote", help="blind A/B vote between two versions' answers on held-out prompts")
    v.add_argument("versions", metavar="V", nargs=2, help=VERSION_HELP)
    v.add_argument("--project", help="the project of versions written as vN")
    v.add_argument("--limit", type=int, default=10, metavar="N", help="prompts to vote on (default 10)")
    v.add_argument("--seed", type=int, default=0, help="seed of the hidden answer order")
    v.add_argument("--summary", action="store_true", help="only show the win rate of the votes so far")
    v.add_argument("--json", action="store_true", help="print JSON: the summary")
    v.set_defaults(func=_vote)


def _options(args):
    from sftgui.core.chat import Options

    return Options(args.max_new_tokens, args.temperature, args.top_p)


def _version(ws, ref, args):
    from sftgui.core.versions import resolve_version

    return resolve_version(ws, ref, getattr(args, "project", None))


def _reader(ctx):
    return ctx.workspace(readonly=(ctx.workspace_path / "sftgui.db").exists())


def _generate(args, ctx) -> int:
    from sftgui.core.chat import Conversation, answer

    ws = _reader(ctx)
    v = _version(ws, args.version, args)
    stream = not ctx.json and sys.stdout.isatty()
    text = answer(ws, v, Conversation(args.system), args.prompt, options=_options(args),
                  on_text=(lambda piece: (sys.stdout.write(piece), sys.stdout.flush())) if stream else (lambda p: None))
    if ctx.json:
        ctx.emit_json({"version": v.ref, "prompt": args.prompt, "answer": text})
    elif stream:
        sys.stdout.write("\n")
    else:
        ctx.say(text)
    return 0


def _chat(args, ctx) -> int:
    from sftgui.core.chat import Conversation, answer

    ws = _reader(ctx)
    v = _version(ws, args.version, args)
    conv = Conversation(args.system)
    tty = sys.stdin.isatty()
    if tty:
        print(f"Chatting with {v.ref}. An empty line or Ctrl+D ends.", file=sys.stderr)
    while True:
        if tty:
            sys.stderr.write("you> ")
            sys.stderr.flush()
        line = sys.stdin.readline()
        if not line or not line.strip():
            return 0
        sys.stdout.write(f"{v.ref}> ")
        sys.stdout.flush()
        answer(ws, v, conv, line.strip(), options=_options(args),
               on_text=lambda piece: (sys.stdout.write(piece), sys.stdout.flush()))
        sys.stdout.write("\n")
        sys.stdout.flush()


def _vote(args, ctx) -> int:
    from sftgui.core import votes
    from sftgui.core.compare import compare_versions
    from sftgui.errors import UserError

    ws = ctx.workspace()
    v1, v2 = (_version(ws, ref, args) for ref in args.versions)
    if not args.summary:
        out = compare_versions(ws, [v1, v2], examples=max(1, args.limit))
        pairs = out["prediction_diff"].get("answers")
        if pairs is None:
            raise UserError("Voting compares written answers; these versions sort texts into labels.")
        for i, item in enumerate(votes.blind_pairs(pairs, v1, v2, seed=args.seed), 1):
            print(f"\n[{i}/{len(pairs)}] Prompt: {item['prompt']}")
            for n, text in enumerate(item["answers"], 1):
                print(f"  Answer {n}: {text}")
            sys.stdout.write("Which answer is better? 1, 2, t (tie), s (skip), q (quit): ")
            sys.stdout.flush()
            choice = (sys.stdin.readline() or "q").strip().lower()
            if choice == "q":
                break
            if choice in ("1", "2", "t"):
                winner = None if choice == "t" else item["versions"][int(choice) - 1]
                votes.record_vote(ws, v1, v2, row_id=item["row_id"], prompt=item["prompt"], winner=winner)
    s = votes.summary(ws, v1, v2)
    if ctx.json:
        ctx.emit_json(s)
    else:
        print(s["sentence"])
    return 0
