"""Dataset: samples, counts, the class hierarchy, mean images and pixel statistics."""

import streamlit as st

from core.dashboard_data import crisp, hierarchy_frame, sample_indices, superclass_counts_frame
from core.datasets import DATASETS
from dashboard import cached, charts, content


def sample_filter_ui(spec) -> list[int]:
    """Superclass and class pickers; returns the class ids to sample from."""
    hierarchy = hierarchy_frame(spec)
    columns = st.columns(3)
    if hierarchy is not None:
        supers = ["all", *sorted(hierarchy["superclass"].unique())]
        chosen = columns[0].selectbox("Superclass", supers, key="dataset_superclass")
        if chosen != "all":
            hierarchy = hierarchy[hierarchy["superclass"] == chosen]
        pool = dict(zip(hierarchy["class"], hierarchy["class_id"], strict=True))
    else:
        pool = {spec.display_name(i): i for i in range(spec.num_classes)}
    name = columns[1].selectbox("Class", ["all", *pool], key="dataset_class")
    if columns[2].button("Shuffle", key="dataset_shuffle", icon=":material/shuffle:"):
        st.session_state["dataset_seed"] = st.session_state.get("dataset_seed", 0) + 1
    return list(pool.values()) if name == "all" else [pool[name]]


st.title("Dataset")
st.markdown(content("dataset"))
name = st.selectbox(
    "Dataset", list(DATASETS), format_func=lambda n: DATASETS[n].title, key="dataset_name"
)
data, where = cached.dataset(name)
if data is None:
    st.warning(f"{where}\n\nDownload it or point at a local copy on the Overview page.")
    st.stop()
spec = data.spec
height, width, _ = spec.input_shape
st.caption(
    f"{len(data.y_train):,} training and {len(data.y_test):,} test images, "
    f"{spec.num_classes} classes, {height}x{width} pixels; from {where}."
)

st.subheader("Samples")
class_ids = sample_filter_ui(spec)
large = st.toggle("Enlarge (each pixel a crisp square, 8x)", key="dataset_large")
picked = sample_indices(
    data.y_train, class_ids, 8 if large else 24, st.session_state.get("dataset_seed", 0)
)
st.image(
    [crisp(data.x_train[i], 8 if large else 3) for i in picked],
    caption=[spec.display_name(int(data.y_train[i])) for i in picked],
)

st.subheader("How many images per class")
counts = cached.class_counts(data)
tabs = st.tabs(
    ["Per class", "Per superclass", "Hierarchy"] if spec.fine_to_coarse else ["Per class"]
)
tabs[0].plotly_chart(charts.class_counts(counts), key="dataset_counts")
if spec.fine_to_coarse:
    supers = superclass_counts_frame(counts)
    tabs[1].plotly_chart(charts.class_counts(supers, by="superclass"), key="dataset_super_counts")
    tabs[2].plotly_chart(charts.hierarchy_sunburst(hierarchy_frame(spec)), key="dataset_sunburst")

st.subheader("The average image of each class")
means = cached.mean_images(data)
names = [spec.display_name(i) for i in range(spec.num_classes)]
montage = charts.sample_montage(crisp(means, 1), names, columns=min(spec.num_classes, 20))
st.plotly_chart(montage, key="dataset_means")

st.subheader("Pixel statistics (training images)")
stats, histogram = cached.pixel_stats(data)
left, right = st.columns([1, 2])
left.dataframe(stats.round(1), hide_index=True, key="dataset_channel_stats")
right.plotly_chart(charts.pixel_histogram(histogram), key="dataset_histogram")
if name == "cifar100":
    st.markdown(content("dataset_hard"))
