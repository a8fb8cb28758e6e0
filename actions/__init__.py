"""Acting on waste with undo: snapshot, stop, restore; the policies that act by themselves; the
audit of every attempt. The only package that changes AWS (DESIGN §1)."""
