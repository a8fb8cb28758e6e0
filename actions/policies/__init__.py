"""The policies that act by themselves (auto-stop, schedules): each kind is one module with its
settings schema, what it reads (``gather``) and a pure ``decide``; ``runner`` runs them per cycle."""
