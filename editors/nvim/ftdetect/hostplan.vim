" Hostplan plans: `.hplan` files.
autocmd BufRead,BufNewFile *.hplan setfiletype hostplan
