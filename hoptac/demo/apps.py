from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The Hà Giang demo: calls each app's demo loader in layer order (it sits above them all)."""

    name = "hoptac.demo"
    label = "demo"
