"""The Model box on the three network pages keeps the learner's pick (issue 46, item 1): a pick sticks across
reruns, the link follows the box, and a network adopted from Training is selected once, then the learner can switch
away and back."""

import pytest

from tests.app.test_pages_render import open_page

PAGES = [("networks.py", "net_model"), ("attribution.py", "attr_model"), ("fantasy.py", "fa_model")]


@pytest.mark.parametrize(("page", "key"), PAGES, ids=[p for p, _ in PAGES])
def test_a_picked_network_stays_picked_and_is_in_the_link(page, key):
    at = open_page(page)
    assert at.selectbox(key=key).value == "efficientnet_lite0"
    at.selectbox(key=key).set_value("mobilenet_v2").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=key).value == "mobilenet_v2"
    assert at.query_params["model"] == "mobilenet_v2"
    at.run(timeout=120)  # a later rerun (any other widget) keeps it too
    assert at.selectbox(key=key).value == "mobilenet_v2"
    at.selectbox(key=key).set_value("efficientnet_lite0").run(timeout=120)
    assert at.selectbox(key=key).value == "efficientnet_lite0"
    assert at.query_params["model"] == "efficientnet_lite0"


def test_an_adopted_network_is_selected_once_then_the_learner_can_switch_away_and_back():
    from cnnviz.learn.training import LeNetRun, TrainConfig
    from cnnviz.ui.model_choice import _ADOPTED, _KEY

    run = LeNetRun(TrainConfig(epochs=1)).start()
    run.join(120)
    mine = run.session_model()
    at = open_page("networks.py")
    at.session_state[_KEY] = {"lenet": mine}
    at.session_state[_ADOPTED] = mine.key
    at.run(timeout=120)
    assert at.selectbox(key="net_model").value == mine.key  # the newly adopted ★ network, once
    at.selectbox(key="net_model").set_value("mobilenet_v2").run(timeout=120)
    assert at.selectbox(key="net_model").value == "mobilenet_v2"
    at.run(timeout=120)
    assert at.selectbox(key="net_model").value == "mobilenet_v2"
    at.selectbox(key="net_model").set_value(mine.key).run(timeout=120)
    assert at.selectbox(key="net_model").value == mine.key
    assert not at.exception
