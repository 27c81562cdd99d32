"""Everything that talks to the outside world, grouped by what it talks to; nodes reach it through the Toolbox."""
