"""The Prefect layer: flows over the pipeline's functions (`prefect_flows`) and `serve`, which schedules them."""
