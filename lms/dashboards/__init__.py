"""Read-only views over progress for coordinators: overview, region, course, candidate, exports."""
