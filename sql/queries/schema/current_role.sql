-- The database role statements run as, to name it when one was refused a privilege.
SELECT current_user AS role
