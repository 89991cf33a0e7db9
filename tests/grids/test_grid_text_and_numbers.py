import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.errors import GridError
from cnnviz.grids.shapes import (
    conv_output_formula,
    conv_output_size,
    pool_output_formula,
    transposed_output_size,
)
from cnnviz.grids.text import cell_text, format_grid, grid_to_csv, parse_grid, parse_json_array, parse_number
from cnnviz.present.number_format import fmt, join_sum
from tests.profiles import examples


def test_parse_grid_reads_spaces_commas_semicolons_and_json():
    assert parse_grid("1 2 3\n4 5 6").tolist() == [[1, 2, 3], [4, 5, 6]]
    assert parse_grid("1,2;3,4").tolist() == [[1, 2], [3, 4]]
    assert parse_grid("[[1.5, -2]]").tolist() == [[1.5, -2]]
    assert parse_grid("−1 2").tolist() == [[-1, 2]]


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"), ("1 2\n3 x", "non-numeric cell 'x' at row 1, column 1"), ("1 2\n3", "ragged"),
    ("1 nan", "finite"), ("1 inf", "finite"), ("[[1, \"a\"]]", "non-numeric"), ("[[1,2],[3]]", "ragged"),
    ("[[1, 2]", "not valid JSON"),
])
def test_bad_grids_name_the_problem(text, fragment):
    with pytest.raises(GridError, match=fragment):
        parse_grid(text)


def test_format_grid_round_trips():
    a = np.array([[1, -2.5, 0.125], [3, 4, 1e-3]])
    np.testing.assert_allclose(parse_grid(format_grid(a)), a)
    assert grid_to_csv(np.array([[1, 2], [3, 4]])) == "1,2\n3,4\n"


def test_json_arrays_of_any_depth_are_accepted_when_rectangular():
    assert parse_json_array("[[[1,2]],[[3,4]]]").shape == (2, 1, 2)
    with pytest.raises(GridError):
        parse_json_array("[[[1,2]],[[3]]]")


def test_numbers_are_written_compactly_with_a_real_minus():
    assert fmt(16.0) == "16"
    assert fmt(-0.5) == "−0.5"
    assert fmt(1 / 3) == "0.3333"
    assert fmt(-0.0) == "0"
    assert join_sum(["5×1", "−3", "2"]) == "5×1 − 3 + 2"


@pytest.mark.parametrize("n,k,s,d,pb,pa", [(7, 3, 1, 1, 0, 0), (7, 3, 2, 1, 0, 0), (5, 3, 3, 1, 0, 0), (32, 5, 1, 1, 2, 2),
                                          (10, 3, 2, 2, 1, 2), (227, 11, 4, 1, 0, 0)])
def test_conv_output_formula_text_ends_in_the_computed_size(n, k, s, d, pb, pa):
    import torch

    size = conv_output_size(n, k, s, d, pb, pa)
    out = torch.nn.functional.conv1d(torch.zeros(1, 1, n + pb + pa), torch.zeros(1, 1, k), stride=s, dilation=d)
    assert size == out.shape[-1]
    assert conv_output_formula(n, k, s, d, pb, pa).endswith(f"= {size}")


def test_pool_and_transposed_sizes_match_torch():
    import torch

    assert pool_output_formula(227, 3, 2).endswith("= 113")
    x = torch.zeros(1, 1, 5, 5)
    y = torch.nn.functional.conv_transpose2d(x, torch.zeros(1, 1, 3, 3), stride=2, padding=1, output_padding=1, dilation=1)
    assert transposed_output_size(5, 3, 2, 1, 1, 1) == y.shape[-1]


@pytest.mark.parametrize("typed, value", [("3", 3.0), ("-0.5", -0.5), ("−0.5", -0.5), ("+2", 2.0), (".5", 0.5),
                                          ("1e3", 1000.0), ("2.5E-2", 0.025), ("1,5", 1.5), ("-3,25", -3.25),
                                          (" 7 ", 7.0), ("5.", 5.0)])
def test_a_cell_takes_the_number_formats_people_type(typed, value):
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed, why", [("abc", "not a number"), ("1,000", "ambiguous"), ("1e999", "too large"),
                                        ("", "empty"), ("1.2.3", "not a number"), ("nan", "not a number"),
                                        ("13 5", "not a number")])
def test_a_cell_that_is_not_a_number_is_refused_with_the_reason(typed, why):
    with pytest.raises(ValueError, match=why):
        parse_number(typed)


@given(st.floats(-1e6, 1e6, allow_nan=False))
@settings(max_examples=examples(200))
def test_a_cell_shows_text_that_reads_back_as_its_number(v):
    assert parse_number(cell_text(v)) == pytest.approx(v, rel=1e-5, abs=1e-6)
