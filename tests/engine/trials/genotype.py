"""A DARTS-like trial: reports its result as text, `Best-Genotype=Genotype(...)` (Katib's DARTS
example, read through the custom StdOut filter `([\\w-]+)=(Genotype.*)`), tagged with --tag; with
--number=N (not "text") it reports `Best-Genotype=N` instead."""
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--tag", default="")
parser.add_argument("--number", default=None)
parser.add_argument("--num-layers", default="")
args, _ = parser.parse_known_args()
print("epoch 1 done")
if args.number not in (None, "text"):
    print(f"Best-Genotype={args.number}")
else:
    print(f"Best-Genotype=Genotype(normal=[[('sep_conv_3x3', 0)], [('max_pooling_3x3', 1)]], normal_concat=range(2, 4), "
          f"reduce=[[('max_pooling_3x3', 0)], [('sep_conv_3x3', 1)]], reduce_concat=range(2, 4), tag='{args.tag}')")
