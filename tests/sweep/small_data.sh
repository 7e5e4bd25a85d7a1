# small_data.sh — sourced by the sweep tests: small_data DIR writes a labelled
# IDX data set of 600 training and 300 test Fashion-MNIST images into DIR, small
# enough for a judge trained in seconds. Needs $bin (the madbench binary).
# small_set DIR prints the [set] section of a sweep whose cells train on it for
# seconds.
small_data() {
    mkdir -p "$1" &&
        "$bin" data export fashion-mnist "$1/train-images-idx3-ubyte.gz" n=600 shuffle=1 seed=1 >/dev/null &&
        "$bin" data export fashion-mnist "$1/t10k-images-idx3-ubyte.gz" split=test n=300 shuffle=1 seed=1 >/dev/null
}

small_set() {
    printf '[set]\ndata.source = %s\ndata.n_real = 200\ndata.n_test = 150\nmodel.epochs = 1\n' "$1"
    printf 'run.generations = 2\nmetrics.judge_epochs = 1\nmetrics.kid_subset_size = 100\n'
}
