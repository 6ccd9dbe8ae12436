-- Neovim 0.11+: `vim.lsp.enable("hostplan")` starts the server with this configuration.
return {
  cmd = { "hostplan", "lsp" },
  filetypes = { "hostplan" },
  root_markers = { ".git" },
}
