"""`drama check`: a screenplay linter. Findings with a severity (error, warning, info), the file and line, and a
fix; errors are what stops the pipeline (the episode cannot be parsed or planned), warnings what makes it worse
than it needs to be, notes what is worth knowing.

script.py holds the checks that read the screenplay alone, project.py runs them with the planner and the
warnings `drama plan` prints.
"""

from drama.check.finding import Finding, Severity
from drama.check.project import check

__all__ = ["Finding", "Severity", "check"]
