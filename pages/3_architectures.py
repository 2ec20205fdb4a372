"""Architectures: the MLP and the CNN side by side, computed from the Keras models."""

import streamlit as st

from core.dashboard_data import SEED_PARAMS
from core.datasets import DATASETS
from core.presets import PRESETS
from dashboard import cached, charts, content, page_file

st.title("Architectures")
st.markdown(content("architectures"))
name = st.selectbox(
    "Input shape and classes of",
    list(DATASETS),
    format_func=lambda n: DATASETS[n].title,
    key="arch_dataset",
)
spec = DATASETS[name]
columns = st.columns(2)
for column, family in zip(columns, ("mlp", "cnn"), strict=True):
    with column:
        options = [key for key, preset in PRESETS.items() if preset.family == family]
        model = st.selectbox(
            f"{family.upper()} preset",
            options,
            format_func=lambda key: PRESETS[key].title,
            key=f"arch_{family}",
        )
        st.caption(PRESETS[model].about)
        layers = cached.layers(model, spec.input_shape, spec.num_classes)
        total = int(layers["params"].sum())
        left, right = st.columns(2)
        left.metric("Parameters", f"{total:,}")
        right.metric(
            "Multiply-adds per image",
            f"{int(layers['multiply-adds'].sum()):,}",
        )
        seed = SEED_PARAMS.get(model)
        if seed is not None and name == "cifar100":
            verdict = "matches" if total == seed else "DIFFERS FROM"
            st.caption(f"This {verdict} the seed project's {seed:,} parameters (SEED.md).")
        shown = layers.drop(columns=["output values"])
        number = st.column_config.NumberColumn(format="localized")
        share = st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)
        st.dataframe(
            shown,
            hide_index=True,
            key=f"arch_{family}_table",
            column_config={"params": number, "multiply-adds": number, "share of params": share},
        )
        st.plotly_chart(
            charts.layer_stack(layers, f"{model}: layer stack"), key=f"arch_{family}_stack"
        )
        st.plotly_chart(
            charts.params_per_layer(layers, f"{model}: parameters per layer"),
            key=f"arch_{family}_params_chart",
        )
st.markdown(content("architectures_point"))
st.page_link(
    page_file("5_results.py"),
    label="Test it on your own runs: Results, Shifted pictures",
    icon=":material/swap_horiz:",
)
