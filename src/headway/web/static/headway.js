// Headway dashboard behaviour (our own small script; charts use Plotly served from the package).
