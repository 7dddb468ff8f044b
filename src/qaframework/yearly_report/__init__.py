"""The yearly report (Working Together 2023): assembled from the year's record, with
charts, narrative written by the business unit, signed off and published."""
