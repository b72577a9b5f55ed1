from __future__ import annotations

from aggregator.validate import review_problems

from .base import CountingPipeline


class ValidateReviewPipeline(CountingPipeline):
    """An item unfit to store is dropped with its first problem as the reason, and every problem counted."""

    component = "validate"

    def process_item(self, item):
        problems = review_problems(item)
        if problems:
            for problem in problems[1:]:
                self.count(f"also/{problem}")
            raise self.drop(item, problems[0], ", ".join(problems[1:]))
        return item
