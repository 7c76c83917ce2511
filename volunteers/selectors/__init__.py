"""Every non-trivial read of volunteers' data, one module per part (`reporting`, `wishes`, `orders`,
`activities`), each filtered by what the actor may see."""
