"""The landing sensor ticked as the daemon ticks it: over one lake and instance, its cursor kept between ticks."""

import dagster as dg

from quality_movies.resources.lake import Lake
from quality_movies.sensors import landing_sensor


class LandingSensorDriver:
    """Ticks `landing_sensor`, keeping its cursor and adding the partitions it asks for, as the daemon does."""

    def __init__(self, lake: Lake, instance: dg.DagsterInstance) -> None:
        self.lake, self.instance, self.cursor = lake, instance, None

    def tick(self) -> list[dg.RunRequest]:
        # As a context manager: the context opens an instance that must be closed again.
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(), cursor=self.cursor, resources={"lake": self.lake}
        ) as context:
            result = landing_sensor(context)
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        self.cursor = result.cursor
        return list(result.run_requests)

    def settle(self) -> list[dg.RunRequest]:
        """Two ticks, the requests of both: a new local file is taken by the second, once seen unchanged."""
        return self.tick() + self.tick()

    def settled_partitions(self) -> list[str]:
        """The partitions two ticks request, sorted."""
        return sorted(request.partition_key for request in self.settle())
