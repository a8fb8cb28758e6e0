"""The one fake world, used by `genai-monitor demo`, the tests and the benchmarks alike.

- `world`: the organisation as pure data (teams, models, endpoints, activity curves);
- `generate`: that organisation at a moment, as metrics and a bill (pure: time in, world out);
- `config`: the demo's config file, budgets set from the generated bill;
- `cost_explorer`, `standins`: what moto lacks (Cost Explorer answers, a fast GetMetricData,
  a SageMaker clock, the local moto server);
- `seed`: putting a world into moto through the AWS APIs.

It imports only `core` (and moto, boto3): the composition that also collects and evaluates
is `monitor.demo`.
"""
